"""Password rules (等保 2.0 complexity) and the demo password against the whole validator chain."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from mayor_award.core.management.commands.seed_demo import DEMO_PASSWORD
from mayor_award.core.models import User
from mayor_award.core.validators import CharacterClassValidator


@pytest.mark.parametrize(
    "password",
    ["alllowercaseletters", "ALLCAPITALLETTERS", "123456789012", "lowercaseand123", "UPPERandlower"],
)
def test_character_class_validator_two_classes_or_fewer_refused(password):
    with pytest.raises(ValidationError) as excinfo:
        CharacterClassValidator().validate(password)

    assert excinfo.value.code == "password_too_simple"


@pytest.mark.parametrize(
    "password",
    [DEMO_PASSWORD, "lowerUPPER1234", "lowercase-1234", "UPPERCASE-1234", "lowerUPPER-sym", "质量奖award2026"],
)
def test_character_class_validator_three_classes_accepted(password):
    assert CharacterClassValidator().validate(password) is None


def test_character_class_validator_help_text_names_the_classes():
    with translation.override("en"):
        help_text = CharacterClassValidator().get_help_text()

    assert help_text == ("Your password must mix at least three of: lower-case letters, capitals, digits and symbols.")


def test_validate_password_demo_password_accepted():
    assert validate_password(DEMO_PASSWORD) is None


def test_validate_password_demo_password_accepted_for_a_demo_user():
    user = User(username="expert01", name="王建国", email="expert01@demo.luohe.example")

    assert validate_password(DEMO_PASSWORD, user=user) is None


@pytest.mark.parametrize(
    ("password", "code"),
    [("Aa1-short", "password_too_short"), ("alllowercaseletters", "password_too_simple")],
)
def test_validate_password_weak_password_refused(password, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_password(password)

    assert [error.code for error in excinfo.value.error_list] == [code]
