"""The material and on-site review reports (材料评审报告, 现场评审报告): rendered after the consensus is recorded,
with the organisation, the category table, the total and the radar chart, never an expert's name; one file per
consensus."""

import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from applications import pdf
from applications.enums import DossierState
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent, CriteriaCategory
from review import reports
from review.consensus import ConsensusError, consensus_record, consensus_reopen, consensus_save
from review.enums import ReviewStage
from review.models import Consensus
from review.radar import radar_svg
from review.tasks_reports import task_render_consensus_report, task_render_pending_reports
from tests.factories.review_consensus import criteria_codes, scored_panel

pytestmark = pytest.mark.django_db


def record(world, stage=ReviewStage.MATERIAL, percent=55, **texts):
    entries = {
        code: {"percent": percent, "strengths": f"{code}方法系统完整", "opportunities": f"{code}展开有待加强"}
        for code in criteria_codes(world.cycle)
    }
    saved = consensus_save(
        panel=world.panel, dossier=world.dossier, stage=stage, entries=entries, by=world.leader.expert.user, **texts
    )
    return consensus_record(consensus=saved, by=world.leader.expert.user)


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def stored_files() -> list[str]:
    return default_storage.listdir(reports.FOLDER)[1] if default_storage.exists(reports.FOLDER) else []


@pytest.fixture
def recorded(django_capture_on_commit_callbacks):
    """A material consensus recorded by the leader of five; the report task runs after commit (in-process)."""
    world = scored_panel(experts=5)
    world.submit_all()
    with django_capture_on_commit_callbacks(execute=True):
        consensus = record(world, strengths="领导重视质量", issues_to_verify="现场核实顾客满意度测评数据")
    consensus.refresh_from_db()
    return world, consensus


def test_recording_renders_the_report_after_commit(recorded):
    world, consensus = recorded

    assert consensus.report_pdf.name == f"review-reports/{world.dossier.number}-material.pdf"
    assert consensus.report_generated_at is not None
    assert stored_files() == [f"{world.dossier.number}-material.pdf"]
    assert AuditEvent.objects.filter(action="consensus.report_generated").count() == 1


def test_report_text_names_the_organisation_and_the_categories(recorded):
    world, consensus = recorded

    with consensus.report_pdf.open("rb") as stored:
        text = text_of(stored.read())

    assert world.dossier.organisation.name in text
    assert world.dossier.number in text
    assert world.panel.name in text
    names = CriteriaCategory.objects.filter(criteria_id=world.cycle.criteria_id).order_by("position")
    assert [name in text for name in names.values_list("name_zh", flat=True)] == [True] * 7
    assert "550.00" in text  # the total: every item agreed at 55 %
    assert "现场核实顾客满意度测评数据" in text
    assert "4.1.2方法系统完整" in text


def test_report_never_names_an_expert(recorded):
    world, consensus = recorded

    with consensus.report_pdf.open("rb") as stored:
        text = text_of(stored.read())

    for seat in world.seats:
        user = seat.expert.user
        assert user.name not in text
        assert user.username not in text


@pytest.mark.usefixtures("recorded")
def test_report_category_table_is_the_agreed_sheet():

    context = reports.report_context(Consensus.objects.select_related("dossier__cycle", "panel").get())

    lines = [row["line"] for row in context["rows"]]
    assert [line.code for line in lines] == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"]
    assert [line.points for line in lines] == [110, 90, 90, 130, 100, 80, 400]
    assert [line.score for line in lines] == [Decimal(p * 55) / 100 for p in (110, 90, 90, 130, 100, 80, 400)]
    assert {line.share_display for line in lines} == {"55.0"}
    assert (context["total"], context["total_points"]) == ("550.00", 1000)
    assert context["radar"].count("<polygon") == 5 + 1  # five rings and one series


def test_task_run_twice_leaves_one_file(recorded):
    world, consensus = recorded
    first_name = consensus.report_pdf.name

    assert task_render_consensus_report.delay(consensus_id=consensus.pk).get() is True
    assert task_render_consensus_report.delay(consensus_id=consensus.pk).get() is True

    consensus.refresh_from_db()
    assert consensus.report_pdf.name == first_name
    assert stored_files() == [f"{world.dossier.number}-material.pdf"]


def test_task_renders_nothing_for_a_reopened_consensus(recorded, secretariat):
    _world, consensus = recorded
    consensus_reopen(consensus=consensus, reason="重新评议", by=secretariat)
    generated = consensus.report_generated_at

    assert task_render_consensus_report.delay(consensus_id=consensus.pk).get() is False
    assert task_render_consensus_report.delay(consensus_id=0).get() is False

    consensus.refresh_from_db()
    assert consensus.report_generated_at == generated


def test_onsite_report_draws_material_against_onsite(django_capture_on_commit_callbacks):
    world = scored_panel(experts=5)
    world.submit_all()
    with django_capture_on_commit_callbacks(execute=True):
        record(world, percent=50)
    world.cycle.phase = CyclePhase.ONSITE_REVIEW
    world.cycle.save()
    type(world.dossier).objects.filter(pk=world.dossier.pk).update(state=DossierState.SELECTED)
    world.dossier.refresh_from_db()
    world.submit_all(stage=ReviewStage.ONSITE)

    with django_capture_on_commit_callbacks(execute=True):
        onsite = record(world, stage=ReviewStage.ONSITE, percent=60)

    onsite.refresh_from_db()
    context = reports.report_context(Consensus.objects.select_related("dossier__cycle", "panel").get(pk=onsite.pk))
    assert (context["material_total"], context["total"]) == ("500.00", "600.00")
    assert context["radar"].count("<polygon") == 5 + 2
    assert context["carried_issues"] == ""
    with onsite.report_pdf.open("rb") as stored:
        text = text_of(stored.read())
    assert "500.00" in text
    assert "600.00" in text
    assert sorted(stored_files()) == [f"{world.dossier.number}-material.pdf", f"{world.dossier.number}-onsite.pdf"]


def test_missing_chinese_font_leaves_the_recording_and_the_sweeper_makes_the_report(
    monkeypatch, django_capture_on_commit_callbacks
):
    world = scored_panel(experts=5)
    world.submit_all()
    monkeypatch.setattr(pdf, "chinese_font_available", lambda: False)

    with django_capture_on_commit_callbacks(execute=True):
        consensus = record(world)

    consensus.refresh_from_db()
    assert consensus.state == "recorded"
    assert not consensus.report_pdf
    assert list(reports.reports_pending()) == [consensus]
    monkeypatch.undo()

    assert task_render_pending_reports.delay().get() == 1

    consensus.refresh_from_db()
    assert consensus.report_pdf
    assert list(reports.reports_pending()) == []


def test_regenerating_runs_after_commit_for_a_recorded_consensus(
    recorded, secretariat, django_capture_on_commit_callbacks
):
    _world, consensus = recorded

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reports.report_regenerate(consensus=consensus, by=secretariat)

    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="consensus.report_requested", actor=secretariat).count() == 1


def test_regenerating_is_refused_for_a_reopened_consensus(recorded, secretariat):
    _world, consensus = recorded
    consensus_reopen(consensus=consensus, reason="重新评议", by=secretariat)

    with pytest.raises(ConsensusError):
        reports.report_regenerate(consensus=consensus, by=secretariat)


def test_radar_svg_of_the_report_escapes_labels():
    svg = radar_svg(["<b>领导</b>", "战略", "结果"], [])

    assert "&lt;b&gt;领导&lt;/b&gt;" in svg
    assert "<b>" not in svg
