"""IDOR probes (越权访问探测): every object address, walked around the real ids by every party.

Each role asks for the real objects of every party, for the ids −3 … +3 around its own (around everyone's when it
owns none) and, for addresses with two ids, for every mix of the parties' ids (A's dossier with B's file). Whatever
is not the role's own must be not found (404), a refused role gets 403 whatever the id, a signed-out visitor the
login page; the answer for the role's own objects is declared per address, so any 200 is theirs. The list of object
addresses is read from the URLconf: an address with an argument and no probe here fails
test_every_object_address_has_a_probe.

The parties: applicants A and B (dossiers in an open, a reviewed and an announced cycle), an expert leading panel X
(A's dossier) and one leading panel Y (B's), in a cycle in its material review, and committee members of two cycles
in deliberation (A's candidate in the first, B's in the second). Each probe runs in a savepoint of its case, rolled
back after the answer, so a POST that succeeds on one's own object changes nothing for the next probe.
"""

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.security.parties import APPLICANTS, EXPERTS, MEMBERS, PARTY, ROLES, build_parties
from tests.security.world_kit import (
    LOGIN,
    fetch,
    module_private_root,  # noqa: F401 (a fixture the world uses)
    module_settings,
    module_world,
    sign_in,
    status_of,
)

_fast_and_local = module_settings

WALK = range(-3, 4)
# A public page answers everyone alike: a signed-out visitor and one signed-in user probe it.
PUBLIC_PROBERS = ("anonymous", "applicant_a")

# Addresses whose argument names no object a role could own: signed or random tokens.
NOT_OBJECT_ADDRESSES = {
    "applications:confirm-email": "a signed token (Django's token generator), not an id",
    "applications:accept-invitation": "a random UUID token, not an id",
    "password_reset_confirm": "a signed token (Django's token generator), not an id",
}


@dataclass
class Probe:
    name: str
    slots: tuple  # the arguments that name objects; walked around the real values
    real: Any  # function of the world giving the real addresses' arguments (every party's)
    mine: Any  # function (world, role, kwargs) -> bool: the role's own object
    audience: tuple  # roles the view serves at all; anyone else signed in gets 403 (None: every role)
    own: int = 200  # the answer for the role's own object
    method: str = "get"
    data: dict = field(default_factory=dict)
    public: bool = False  # no login needed: a signed-out visitor is answered like anyone else
    roles: tuple = ROLES  # who probes it
    ask_own: bool = True  # False: the role's own objects are not asked for (a slow PDF; test_phase_access has it)
    variant: str = ""

    @property
    def id(self):
        return f"{self.name}[{self.variant}]" if self.variant else self.name


# --- who owns what (from the world's own records, not from the code under test) ---


def _org_dossier(world, role, pk, which=None):
    """Whether dossier `pk` is the role's organisation's (in the cycles `which`, else in any)."""
    party = PARTY.get(role)
    return role in APPLICANTS and pk in {
        dossier for (owner, cycle), dossier in world["dossiers"].items() if owner == party and cycle in (which or cycle)
    }


def _own_dossier(world, role, kw):
    return _org_dossier(world, role, kw["pk"])


def _own_receipt(world, role, kw):
    return _org_dossier(world, role, kw["pk"], which=("review",))


def _own_attachment(world, role, kw, key="pk", dossier_key="dossier_pk"):
    dossier = world["attachment_dossier"].get(kw[key])
    return dossier == kw[dossier_key] and (
        _org_dossier(world, role, dossier) or (role in EXPERTS and dossier == _reviewed(world, role))
    )


def _own_file_delete(world, role, kw):
    dossier = world["attachment_dossier"].get(kw["attachment_pk"])
    return dossier == kw["pk"] and _org_dossier(world, role, dossier)


def _reviewed(world, role):
    return world["dossiers"][(PARTY[role], "review")]


def _reviews(world, role, kw):
    return role in EXPERTS and kw["pk"] == _reviewed(world, role)


def _own_seat(world, role, kw):
    return role in EXPERTS and kw["pk"] == world["seats"][role]


def _own_pledge_cycle(world, role, kw):
    return role in EXPERTS and kw["cycle_pk"] == world["cycles"]["review"]


def _own_panel(world, role, kw):
    return role in EXPERTS and kw["pk"] == world["panels"][role]


def _own_consensus_page(world, role, kw):
    return _own_panel(world, role, kw) and kw["dossier_pk"] == _reviewed(world, role)


def _own_report(world, role, kw):
    return role in EXPERTS and kw["pk"] == world["consensuses"][(PARTY[role], "review")]


def _own_feedback(world, role, kw):
    return _org_dossier(world, role, kw["pk"], which=("decided",))


def _member_report(world, role, kw):
    return role in MEMBERS and kw["pk"] == world["consensuses"][(PARTY[role], "deliberation")]


def _own_certificate(world, role, kw):
    return role in APPLICANTS and kw["serial"] == world["serials"][PARTY[role]]


def _public_notice(world, role, kw):
    return kw["pk"] in world["published_notices"]


def _public_notice_file(world, role, kw):
    return kw["notice_pk"] == world["notices"]["published"] and kw["pk"] == world["notice_files"]["published"]


def _public_cycle(world, role, kw):
    return kw["cycle"] in world["public_cycles"]


def _announced_serial(world, role, kw):
    return kw["serial"] in world["serials"].values()


# --- the real addresses ---


def _dossiers(*cycles):
    return lambda w: [{"pk": w["dossiers"][(party, cycle)]} for party in "ab" for cycle in cycles]


def _files(key="pk", dossier_key="dossier_pk"):
    return lambda w: [{dossier_key: dossier, key: pk} for pk, dossier in w["attachment_dossier"].items()]


def _with(real, **fixed):
    return lambda w: [{**kw, **fixed} for kw in real(w)]


ALL_DOSSIERS = _dossiers("open", "review", "decided")
REVIEWED = _dossiers("review")

PROBES = [
    # The portal: the organisation's own dossiers, in any cycle.
    Probe("applications:dossier", ("pk",), ALL_DOSSIERS, _own_dossier, APPLICANTS),
    Probe("applications:section", ("pk",), _with(ALL_DOSSIERS, key="basics"), _own_dossier, APPLICANTS),
    Probe("applications:attachments", ("pk",), ALL_DOSSIERS, _own_dossier, APPLICANTS),
    Probe("applications:submit", ("pk",), ALL_DOSSIERS, _own_dossier, APPLICANTS),
    Probe("applications:withdraw", ("pk",), ALL_DOSSIERS, _own_dossier, APPLICANTS),
    Probe("applications:receipt", ("pk",), ALL_DOSSIERS, _own_receipt, APPLICANTS),
    Probe(
        "applications:attachment-delete",
        ("pk", "attachment_pk"),
        _files("attachment_pk", "pk"),
        _own_file_delete,
        APPLICANTS,
        own=302,
        method="post",
    ),
    # A dossier's file: its organisation, and the experts of its panel during the review.
    Probe("applications:attachment", ("dossier_pk", "pk"), _files(), _own_attachment, None),
    # The experts' pages: their seats, their cycle's pledge, the dossiers of their panel, the panel they lead.
    Probe("review:seat-reply", ("pk",), lambda w: [{"pk": pk} for pk in w["seats"].values()], _own_seat, EXPERTS),
    Probe(
        "review:pledge",
        ("cycle_pk",),
        lambda w: [{"cycle_pk": pk} for pk in w["cycles"].values()],
        _own_pledge_cycle,
        EXPERTS,
    ),
    Probe("review:dossier", ("pk",), ALL_DOSSIERS, _reviews, EXPERTS),
    Probe("review:score", ("pk",), _with(REVIEWED, stage="material"), _reviews, EXPERTS),
    Probe(
        "review:score-item",
        ("pk",),
        _with(REVIEWED, stage="material", code="4.1.2"),
        _reviews,
        EXPERTS,
        method="post",
        data={"p_4.1.2": "55"},
    ),
    # Independent scoring: the expert's own sheet is not submitted, so their own dossier answers 403 (not yet).
    Probe("review:panel-scores", ("pk",), _with(REVIEWED, stage="material"), _reviews, EXPERTS, own=403),
    Probe("review:panel", ("pk",), lambda w: [{"pk": pk} for pk in w["panels"].values()], _own_panel, EXPERTS),
    Probe("review:candidates", ("pk",), lambda w: [{"pk": pk} for pk in w["panels"].values()], _own_panel, EXPERTS),
    Probe(
        "review:consensus",
        ("pk", "dossier_pk"),
        lambda w: [
            {"pk": w["panels"][role], "dossier_pk": _reviewed(w, role), "stage": "material"} for role in EXPERTS
        ],
        _own_consensus_page,
        EXPERTS,
    ),
    Probe(
        "review:consensus-report",
        ("pk",),
        lambda w: [{"pk": pk} for pk in w["consensuses"].values()],
        _own_report,
        (*EXPERTS, *MEMBERS),
    ),
    # The feedback report: the organisation's dossier of the announced cycle.
    Probe("review:feedback", ("pk",), ALL_DOSSIERS, _own_feedback, APPLICANTS),
    Probe("review:feedback-pdf", ("pk",), _dossiers("decided"), _own_feedback, APPLICANTS, ask_own=False),
    # The committee: reports of the candidates of the member's own cycle.
    Probe(
        "committee:report",
        ("pk",),
        lambda w: [{"pk": pk} for pk in w["consensuses"].values()],
        _member_report,
        MEMBERS,
    ),
    Probe(
        "committee:certificate",
        ("serial",),
        lambda w: [{"serial": serial} for serial in w["serials"].values()],
        _own_certificate,
        None,
    ),
    # Public pages: only what is published.
    Probe(
        "notice-detail",
        ("pk",),
        lambda w: [{"pk": pk} for pk in w["notices"].values()],
        _public_notice,
        None,
        public=True,
        roles=PUBLIC_PROBERS,
    ),
    Probe(
        "notice-attachment",
        ("notice_pk", "pk"),
        lambda w: [{"notice_pk": w["notices"][k], "pk": w["notice_files"][k]} for k in w["notices"]],
        _public_notice_file,
        None,
        public=True,
        roles=PUBLIC_PROBERS,
    ),
    Probe(
        "committee:publicity",
        ("cycle",),
        lambda w: [{"cycle": number} for number in w["cycle_numbers"]],
        _public_cycle,
        None,
        public=True,
        roles=PUBLIC_PROBERS,
    ),
    Probe(
        "committee:verify",
        ("serial",),
        lambda w: [{"serial": serial} for serial in w["serials"].values()],
        _announced_serial,
        None,
        public=True,
        roles=PUBLIC_PROBERS,
    ),
]


def _walk(value):
    if isinstance(value, int):
        return [value + step for step in WALK if value + step > 0]
    match = re.fullmatch(r"(.*-)(\d+)", value)  # a certificate serial: LHZLJ-<year>-NN
    if match is None:
        return [value]
    head, number = match.groups()
    return [f"{head}{int(number) + step:02d}" for step in WALK if int(number) + step > 0]


def addresses(probe, world, role, walk=True):
    """Every party's real addresses, the ids of the role's own walked −3 … +3 (of every party's when the role owns
    none), and every mix of the parties' ids; each once."""
    reals = probe.real(world)
    found = {}

    def add(kw):
        found.setdefault(tuple(sorted(kw.items())), kw)

    for kw in reals:
        add(kw)
    if not walk:
        return list(found.values())
    for kw in [kw for kw in reals if probe.mine(world, role, kw)] or reals:
        for slot in probe.slots:
            for value in _walk(kw[slot]):
                add({**kw, slot: value})
    if len(probe.slots) > 1:
        values = [sorted({kw[slot] for kw in reals}) for slot in probe.slots]
        for combination in itertools.product(*values):
            add({**reals[0], **dict(zip(probe.slots, combination, strict=True))})
    return list(found.values())


def expected(probe, world, role, kw):
    if role == "anonymous" and not probe.public:
        return LOGIN
    if probe.audience is not None and role not in probe.audience:
        return 403
    return probe.own if probe.mine(world, role, kw) else 404


world = module_world(build_parties)


# --- the probes ---


def _answers(client, probe, world, role, walk):
    wrong = []
    for kw in addresses(probe, world, role, walk=walk):
        if not probe.ask_own and probe.mine(world, role, kw):
            continue
        url = reverse(probe.name, kwargs=kw)
        with transaction.atomic():
            response = fetch(client, probe.method, url, probe.data)
            transaction.set_rollback(True)
        want = expected(probe, world, role, kw)
        if status_of(response) != want:
            wrong.append((url, status_of(response), want))
    return wrong


CASES = [pytest.param(probe, role, id=f"{probe.id}-{role}") for probe in PROBES for role in probe.roles]


@pytest.mark.parametrize(("probe", "role"), CASES)
def test_idor(db, world, probe, role):
    client = Client()
    sign_in(client, world, role)
    # A role refused whatever the id is asked for the real ids only: the walk would only repeat the refusal.
    refused = expected(probe, world, role, probe.real(world)[0]) in (LOGIN, 403)

    wrong = _answers(client, probe, world, role, walk=not refused)

    assert wrong == [], f"{role}: (address, answer, expected) {wrong}"


def test_objection_evidence_is_read_only_through_its_own_objection(db, world, client):
    """The admin's evidence download (secretariat only): another objection's evidence id is not found."""
    sign_in(client, world, "secretariat")
    (first, second), (first_file, second_file) = world["objections"], world["evidence"]

    def answer(objection, evidence):
        url = reverse("admin:committee_objection_evidence", kwargs={"object_id": objection, "evidence_id": evidence})
        return fetch(client, "get", url).status_code

    assert [answer(first, first_file), answer(second, second_file)] == [200, 200]
    assert [answer(first, second_file), answer(second, first_file), answer(first, max(world["evidence"]) + 1)] == [
        404,
        404,
        404,
    ]


@pytest.mark.parametrize("role", ROLES)
def test_admin_object_addresses_send_everyone_else_to_the_login(db, world, role):
    """The evidence and the review export name objects too; nobody but the secretariat reaches them."""
    client = Client()
    sign_in(client, world, role)
    urls = [
        reverse("admin:committee_objection_evidence", kwargs={"object_id": objection, "evidence_id": evidence})
        for objection, evidence in itertools.product(world["objections"], world["evidence"])
    ] + [reverse("admin:review_scores_export", kwargs={"cycle_pk": pk}) for pk in world["cycles"].values()]

    answers = {url: status_of(fetch(client, "get", url)) for url in urls}

    assert set(answers.values()) == {LOGIN}, answers


def _object_addresses(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the secretariat's pages: the matrix and the admin probes above
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _object_addresses(pattern.url_patterns, inner)
        elif pattern.pattern.converters:
            yield f"{namespace}{pattern.name}"


def test_every_object_address_has_a_probe(db):
    probed = {probe.name for probe in PROBES} | set(NOT_OBJECT_ADDRESSES)

    missing = sorted(set(_object_addresses(get_resolver().url_patterns)) - probed)

    assert missing == [], f"object addresses without an IDOR probe: {missing}"
