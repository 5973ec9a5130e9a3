"""Tampered requests (篡改请求): another party's ids put in the address or smuggled into the posted fields.

The pages carry no hidden seat, dossier or organisation field: who writes, and on what, comes from the session and
the address only. So an address naming another party's object is not found and writes nothing; fields naming
another party's objects in the body are ignored; an unknown item code is not found. Each test asserts the database
afterwards: nothing changed for anyone but, where the request is the role's own, on its own object. The world is
the IDOR probes' (tests/security/parties.py), built once for the module.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Attachment, Dossier, DossierSection, Invitation
from committee.models import BallotReceipt, VoteCount
from review.models import ItemScore, ScoreSheet
from tests.factories.applications import pdf_bytes
from tests.security.parties import build_parties
from tests.security.world_kit import (
    fetch,
    module_private_root,  # noqa: F401 (a fixture the world uses)
    module_settings,
    module_world,
    sign_in,
)

_fast_and_local = module_settings

world = module_world(build_parties)
ITEM = "4.1.2"


def _scores():
    """Every item score of every sheet: what a tampered request must leave alone."""
    return {
        (row["sheet_id"], row["item__code"]): (row["percent"], row["strengths"], row["opportunities"])
        for row in ItemScore.objects.values("sheet_id", "item__code", "percent", "strengths", "opportunities")
    }


def _sheets():
    return set(ScoreSheet.objects.values_list("pk", "seat_id", "dossier_id", "stage", "state"))


def _counters():
    return set(VoteCount.objects.values_list("session_id", "candidate_id", "approvals", "disapprovals", "abstentions"))


def _as(client, world, role):
    sign_in(client, world, role)
    return client


def _smuggled(world):
    """Fields naming expert Y's seat, sheet and dossier, and an item code no criteria has."""
    other_sheet = ScoreSheet.objects.get(seat_id=world["seats"]["expert_y"])
    return {
        "seat": world["seats"]["expert_y"],
        "seat_id": world["seats"]["expert_y"],
        "sheet": other_sheet.pk,
        "dossier": world["dossiers"][("b", "review")],
        "dossier_id": world["dossiers"][("b", "review")],
        "p_9.9.9": "50",
    }


# --- score sheets ---


@pytest.mark.parametrize("stage", ["material", "onsite"])
def test_a_score_form_for_another_panels_dossier_is_not_found_and_saves_nothing(db, world, client, stage):
    _as(client, world, "expert_x")
    scores, sheets = _scores(), _sheets()
    other = world["dossiers"][("b", "review")]
    data = {f"p_{ITEM}": "60", "action": "submit", **_smuggled(world)}

    form = fetch(client, "post", reverse("review:score", kwargs={"pk": other, "stage": stage}), data)
    item = fetch(client, "post", reverse("review:score-item", kwargs={"pk": other, "stage": stage, "code": ITEM}), data)

    assert (form.status_code, item.status_code) == (404, 404)
    assert (_scores(), _sheets()) == (scores, sheets)


def test_an_unknown_item_code_in_the_autosave_address_is_not_found_and_saves_nothing(db, world, client):
    _as(client, world, "expert_x")
    scores, sheets = _scores(), _sheets()
    own = world["dossiers"][("a", "review")]

    answers = [
        fetch(
            client,
            "post",
            reverse("review:score-item", kwargs={"pk": own, "stage": "material", "code": code}),
            {f"p_{code}": "50", f"p_{ITEM}": "50"},
        ).status_code
        for code in ("9.9.9", "4.1", "4.1.2.1", "x")
    ]

    assert answers == [404, 404, 404, 404]
    assert (_scores(), _sheets()) == (scores, sheets)


def test_an_unknown_stage_is_not_found_and_saves_nothing(db, world, client):
    _as(client, world, "expert_x")
    scores, sheets = _scores(), _sheets()
    own = world["dossiers"][("a", "review")]

    form = fetch(client, "post", reverse("review:score", kwargs={"pk": own, "stage": "final"}), {f"p_{ITEM}": "50"})
    item = fetch(
        client,
        "post",
        reverse("review:score-item", kwargs={"pk": own, "stage": "final", "code": ITEM}),
        {f"p_{ITEM}": "50"},
    )

    assert (form.status_code, item.status_code) == (404, 404)
    assert (_scores(), _sheets()) == (scores, sheets)


def test_the_other_stages_autosave_is_refused_and_saves_nothing(db, world, client):
    """The cycle is in its material review: the on-site sheet opens (read only) but takes no score."""
    _as(client, world, "expert_x")
    own = world["dossiers"][("a", "review")]
    url = reverse("review:score-item", kwargs={"pk": own, "stage": "onsite", "code": ITEM})

    answer = fetch(client, "post", url, {f"p_{ITEM}": "50"})

    assert answer.status_code == 409
    assert not ItemScore.objects.filter(sheet__stage="onsite", percent__isnull=False).exists()


@pytest.mark.parametrize("page", ["form", "autosave"])
def test_smuggled_seat_sheet_and_dossier_fields_are_ignored(db, world, client, page):
    """The expert's own address with another expert's seat, sheet and dossier in the body: only the expert's own
    sheet takes the score, on its own item; nobody else's sheet changes and no sheet is made."""
    _as(client, world, "expert_x")
    scores, sheets = _scores(), _sheets()
    own = world["dossiers"][("a", "review")]
    own_sheet = ScoreSheet.objects.get(seat_id=world["seats"]["expert_x"], stage="material")
    if page == "form":
        url = reverse("review:score", kwargs={"pk": own, "stage": "material"})
    else:
        url = reverse("review:score-item", kwargs={"pk": own, "stage": "material", "code": ITEM})

    answer = fetch(client, "post", url, {f"p_{ITEM}": "60", "action": "save", **_smuggled(world)})

    assert answer.status_code == (302 if page == "form" else 200)
    changed = {key for key, value in _scores().items() if scores.get(key) != value}
    assert changed == {(own_sheet.pk, ITEM)}
    assert _scores()[(own_sheet.pk, ITEM)][0] == 60
    assert _sheets() == sheets


# --- the ballot ---


def test_a_ballot_naming_only_another_sessions_candidate_is_refused(db, world, client):
    _as(client, world, "member_d1")
    counters = _counters()
    foreign = world["candidates"]["b"]

    answer = fetch(client, "post", reverse("committee:ballot"), {"final": "yes", f"c_{foreign}": "approve"})

    assert answer.status_code == 400
    assert _counters() == counters
    assert not BallotReceipt.objects.exists()


def test_a_ballot_naming_another_sessions_candidate_is_refused_whole(db, world, client):
    """A smuggled candidate of another session makes the whole ballot refused: no counter of either session
    changes and no receipt is written (the member may then cast a clean ballot)."""
    _as(client, world, "member_d1")
    counters = _counters()
    own, foreign = world["candidates"]["a"], world["candidates"]["b"]

    answer = fetch(
        client,
        "post",
        reverse("committee:ballot"),
        {"final": "yes", f"c_{own}": "abstain", f"c_{foreign}": "approve", "session": world["sessions"]["b"]},
    )

    assert answer.status_code == 400
    assert _counters() == counters
    assert not BallotReceipt.objects.exists()


def test_a_member_of_another_cycle_cannot_vote_in_this_one(db, world, client):
    _as(client, world, "member_d2")
    counters = _counters()
    theirs = world["candidates"]["a"]

    answer = fetch(client, "post", reverse("committee:ballot"), {"final": "yes", f"c_{theirs}": "approve"})

    assert answer.status_code == 400  # their own session's candidate has no choice: refused
    assert _counters() == counters
    assert not BallotReceipt.objects.exists()


# --- the portal ---


def _sections(dossier):
    return dict(DossierSection.objects.filter(dossier_id=dossier).values_list("key", "data"))


def test_a_section_saved_with_another_applicants_ids_in_the_body_changes_only_ones_own(db, world, client):
    _as(client, world, "applicant_a")
    own, other = world["dossiers"][("a", "open")], world["dossiers"][("b", "open")]
    version = DossierSection.objects.get(dossier_id=own, key="declarations").version
    before = _sections(other)

    answer = fetch(
        client,
        "post",
        reverse("applications:section", kwargs={"pk": own, "key": "declarations"}),
        {
            "licences": "篡改探针",
            "version": version,
            "dossier": other,
            "dossier_id": other,
            "organisation": Dossier.objects.get(pk=other).organisation_id,
        },
    )

    assert answer.status_code == 302
    assert _sections(own)["declarations"]["licences"] == ["篡改探针"]
    assert _sections(other) == before


def test_portal_writes_addressed_to_another_applicants_dossier_are_not_found(db, world, client):
    _as(client, world, "applicant_a")
    other = world["dossiers"][("b", "open")]
    other_file = Attachment.objects.get(dossier_id=other)
    version = DossierSection.objects.get(dossier_id=other, key="declarations").version
    before = (_sections(other), set(Attachment.objects.values_list("pk", flat=True)), Dossier.objects.get(pk=other))
    own = world["dossiers"][("a", "open")]
    requests = [
        ("applications:section", {"pk": other, "key": "declarations"}, {"licences": "篡改", "version": version}),
        (
            "applications:attachments",
            {"pk": other},
            {"purpose": "business_licence", "title": "篡改", "file": SimpleUploadedFile("a.pdf", pdf_bytes())},
        ),
        ("applications:attachment-delete", {"pk": other, "attachment_pk": other_file.pk}, {}),
        ("applications:attachment-delete", {"pk": own, "attachment_pk": other_file.pk}, {}),
        ("applications:submit", {"pk": other}, {}),
        ("applications:withdraw", {"pk": other}, {"reason": "篡改"}),
    ]

    answers = [fetch(client, "post", reverse(name, kwargs=kwargs), data).status_code for name, kwargs, data in requests]

    assert answers == [404] * len(requests)
    after = (_sections(other), set(Attachment.objects.values_list("pk", flat=True)), Dossier.objects.get(pk=other))
    assert after[:2] == before[:2]
    assert (after[2].state, after[2].submitted_at) == (before[2].state, before[2].submitted_at)


def test_an_invitation_or_a_dossier_start_naming_another_organisation_acts_for_ones_own(db, world, client):
    _as(client, world, "applicant_a")
    other_organisation = Dossier.objects.get(pk=world["dossiers"][("b", "open")]).organisation_id
    own_organisation = Dossier.objects.get(pk=world["dossiers"][("a", "open")]).organisation_id
    other_dossiers = set(Dossier.objects.filter(organisation_id=other_organisation).values_list("pk", flat=True))

    fetch(
        client,
        "post",
        reverse("applications:invite"),
        {"email": "probe@example.com", "organisation": other_organisation, "organisation_id": other_organisation},
    )
    fetch(
        client,
        "post",
        reverse("applications:dossier-start"),
        {"organisation": other_organisation, "organisation_id": other_organisation},
    )

    assert list(Invitation.objects.filter(email="probe@example.com").values_list("organisation_id", flat=True)) == [
        own_organisation
    ]
    assert set(Dossier.objects.filter(organisation_id=other_organisation).values_list("pk", flat=True)) == (
        other_dossiers
    )
