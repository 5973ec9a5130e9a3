"""The vocabulary of the authorization matrix, shared by its extension modules (tests/security/matrix/*.py)."""

from dataclasses import dataclass, field
from typing import Any

from stdnum.cn import uscc

# "applicant" works for the organisation that owns the world's dossier; "other_applicant" for another one.
ROLES = ("anonymous", "applicant", "other_applicant", "expert", "panel_leader", "committee", "secretariat")
LOGIN = "login"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def credit_code(serial: str) -> str:
    body = "91411100" + serial
    return body + uscc.calc_check_digit(body)


def everyone(expected):
    return dict.fromkeys(ROLES, expected)


def signed_in(expected, anonymous=LOGIN):
    return {**everyone(expected), "anonymous": anonymous}


def own_organisation(expected=200, other=404, staff=403):
    """Portal pages of one dossier: its organisation, then everyone else."""
    return {
        **everyone(staff),
        "anonymous": LOGIN,
        "applicant": expected,
        "other_applicant": other,
    }


def secretariat_only(expected=200, others=LOGIN):
    """Admin pages: non-staff users are sent to the admin's login page, like anonymous visitors."""
    return {**everyone(others), "secretariat": expected}


@dataclass
class Row:
    name: str
    expected: dict[str, Any]
    kwargs: Any = field(default_factory=dict)  # a dict, or a function of the world giving one
    path: Any = None  # for unnamed patterns: a function of the world giving the address
    method: str = "get"
    data: dict = field(default_factory=dict)
    variant: str = ""

    @property
    def id(self):
        return f"{self.name}{'[' + self.variant + ']' if self.variant else ''}"
