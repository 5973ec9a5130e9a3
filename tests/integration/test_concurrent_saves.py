"""Two experts score the same dossier at the same moment (PostgreSQL: real concurrent transactions): item by item
through the autosave, then each submits; each keeps exactly their own scores and comments.

Twenty simultaneous ballots of one committee member through the ballot page are tested in
tests/committee/test_concurrency.py (one receipt, the counters counted once).
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from review.enums import SheetState
from review.models import ItemScore, ScoreSheet
from tests.conftest import postgres_in_use, require
from tests.factories.review_consensus import criteria_codes, scored_panel

pytestmark = pytest.mark.django_db(transaction=True)

PERCENTS = (40, 70)  # one per expert, so a score landing on the wrong sheet shows


def score_everything(client: Client, dossier, codes, percent: int, barrier: threading.Barrier, results: list):
    """Run in a thread: every item saved on its own (as the page's autosave does), then the sheet submitted."""
    try:
        barrier.wait()
        for code in codes:
            response = client.post(
                reverse("review:score-item", args=[dossier.pk, "material", code]),
                {f"p_{code}": str(percent), f"s_{code}": f"优势{percent}", f"o_{code}": f"改进{percent}"},
            )
            results.append(("item", code, response.status_code, response.get("X-Score-Saved")))
        form = {"action": "submit"}  # the whole form, as the page posts it: what the autosave already holds
        for code in codes:
            form |= {f"p_{code}": str(percent), f"s_{code}": f"优势{percent}", f"o_{code}": f"改进{percent}"}
        response = client.post(reverse("review:score", args=[dossier.pk, "material"]), form)
        results.append(("submit", None, response.status_code, None))
    finally:
        connection.close()  # the thread's own connection, or the test database cannot be flushed


def test_two_experts_scoring_the_same_dossier_at_once_each_keep_their_own_scores():
    require(postgres_in_use(), "needs PostgreSQL (DATABASE_URL=postgres://…): SQLite serialises every write")
    scored = scored_panel(experts=2)
    codes = criteria_codes(scored.cycle)
    barrier = threading.Barrier(len(scored.seats))
    results = {seat.pk: [] for seat in scored.seats}
    threads = []
    for seat, percent in zip(scored.seats, PERCENTS, strict=True):
        client = Client()
        client.force_login(seat.expert.user)
        threads.append(
            threading.Thread(
                target=score_everything, args=(client, scored.dossier, codes, percent, barrier, results[seat.pk])
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for seat, percent in zip(scored.seats, PERCENTS, strict=True):
        answers = results[seat.pk]
        assert [(kind, status, saved) for kind, _code, status, saved in answers if kind == "item"] == [
            ("item", 200, "1")
        ] * len(codes)
        assert answers[-1][:3] == ("submit", None, 302)
        sheet = ScoreSheet.objects.get(seat=seat, dossier=scored.dossier, stage="material")
        assert sheet.state == SheetState.SUBMITTED
        rows = ItemScore.objects.filter(sheet=sheet)
        assert rows.count() == len(codes)
        assert set(rows.values_list("percent", "strengths", "opportunities")) == {
            (percent, f"优势{percent}", f"改进{percent}")
        }
    assert ScoreSheet.objects.filter(dossier=scored.dossier).count() == len(PERCENTS)
