"""Password rules beyond Django's: 等保 2.0 asks for complexity, not only length."""

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


class CharacterClassValidator:
    """At least three of: lower-case letters, capitals, digits, other characters."""

    def validate(self, password, user=None):
        present = sum(any(char in chars for char in password) for chars in CLASSES)
        present += any(not char.isascii() or char in string.punctuation or char == " " for char in password)
        if present < 3:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("Your password must mix at least three of: lower-case letters, capitals, digits and symbols.")
