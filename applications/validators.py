"""Field validators for organisations, with messages in the user's language."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError


def normalise_credit_code(value: str) -> str:
    """Spaces and dashes removed, upper case: how the code is stored and compared."""
    return uscc.compact(value or "")


def validate_credit_code(value: str):
    """The unified social credit code (统一社会信用代码, GB 32100-2015), checked with python-stdnum."""
    try:
        uscc.validate(value)
    except InvalidLength:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="length") from None
    except InvalidChecksum:
        raise ValidationError(
            _("The check character does not match: please compare the code with the business licence."),
            code="checksum",
        ) from None
    except StdnumError:
        raise ValidationError(
            _("This is not a valid unified social credit code: please copy it from the business licence."),
            code="format",
        ) from None


def validate_industry_division(value: str):
    """A GB/T 4754-2017 division is a two-digit code from 01 to 97."""
    if value and not (value.isdigit() and len(value) == 2 and 1 <= int(value) <= 97):
        raise ValidationError(_("An industry division is a two-digit code from 01 to 97."), code="division")
