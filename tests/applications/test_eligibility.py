"""The eligibility rules (eligibility.py, Art. 2, 8, 9, 15, 25): plain data in, findings out, no database.

The reference date is the cycle's application deadline (rules.md C1): here 30 June 2025 for cycle 6, so the
financial years are 2024, 2023, 2022 and the last three cycles are 5, 4, 3.
"""

import ast
import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import trans_real

import applications
from applications import eligibility
from applications.eligibility import (
    Code,
    DossierFacts,
    Finding,
    History,
    Incident,
    OrganisationFacts,
    Outcome,
    TopFiveClaim,
    YearResult,
)

DEADLINE = dt.date(2025, 6, 30)
CYCLE = 6
ALL_DECLARED = dict.fromkeys(eligibility.DECLARATION_ARTICLES, True)
JUDGEMENTS_OF_A_CLEAN_APPLICATION = {"9(1)-declaration", "9(2)-declaration"}

FOR_PROFIT = OrganisationFacts(
    is_legal_entity_or_organisation=True, for_profit=True, registered_in_luohe_since=dt.date(2015, 3, 1)
)
NON_PROFIT = dataclasses.replace(FOR_PROFIT, for_profit=False)
DOSSIER = DossierFacts(
    excellence_model_since=dt.date(2020, 1, 1),
    results=tuple(
        YearResult(
            year=year,
            operating_revenue=Decimal("80000000"),
            total_profit_and_tax=Decimal("9000000"),
            net_profit=Decimal("5000000"),
            asset_contribution_rate=Decimal("12.5"),
        )
        for year in (2022, 2023, 2024)
    ),
    top_five_claim=TopFiveClaim(indicator="operating_revenue", rank=2, evidence_attached=True),
    self_assessment_report_attached=True,
    social_contribution="",
    declarations=ALL_DECLARED,
)
NON_PROFIT_DOSSIER = dataclasses.replace(
    DOSSIER,
    top_five_claim=None,
    results=tuple(YearResult(year=year) for year in (2022, 2023, 2024)),
    social_contribution="Free quality training for 300 small firms a year.",
)
NO_HISTORY = History()


def run(*, organisation=FOR_PROFIT, dossier=DOSSIER, history=NO_HISTORY, cycle_number=CYCLE, deadline=DEADLINE):
    return eligibility.check(
        organisation=organisation, dossier=dossier, history=history, cycle_number=cycle_number, deadline=deadline
    )


def with_dossier(**changes):
    return run(dossier=dataclasses.replace(DOSSIER, **changes))


def registered_since(day, *, deadline=DEADLINE):
    return run(organisation=dataclasses.replace(FOR_PROFIT, registered_in_luohe_since=day), deadline=deadline)


def find(findings: list[Finding], code: str) -> Finding:
    (match,) = [finding for finding in findings if finding.code == code]
    return match


def english(finding: Finding) -> str:
    with translation.override("en"):
        return str(finding.message)


def codes(findings):
    return [finding.code for finding in findings]


def not_passing(findings):
    return {finding.code: finding.outcome for finding in findings if finding.outcome != Outcome.PASS}


# --- the whole check ---


def test_check_for_profit_gives_one_finding_per_rule_in_article_order():
    findings = run()

    assert codes(findings) == [
        "2-organisation",
        "8(1)-registration",
        "8(2)-excellence-model",
        "8(2)-self-assessment",
        "8(2)-three-years",
        "8(3)-no-loss",
        "8(3)-top-five",
        "9(1)-declaration",
        "9(2)-declaration",
        "9(3)-declaration",
        "9(3)-incidents",
        "9(4)-declaration",
        "9(4)-incidents",
        "9(5)-declaration",
        "9(5)-fraud",
        "9(6)-declaration",
        "9(6)-incidents",
        "15-completeness",
        "25-barred",
    ]
    assert [finding.article for finding in findings][:3] == ["2", "8(1)", "8(2)"]


def test_check_clean_application_needs_judgement_only_on_policy_and_licences():
    findings = run()

    assert not_passing(findings) == dict.fromkeys(JUDGEMENTS_OF_A_CLEAN_APPLICATION, Outcome.JUDGEMENT)
    assert eligibility.summary(findings) == Outcome.JUDGEMENT


def test_check_every_code_is_a_documented_code():
    findings = run(history=History(awards_won_in_cycles=(1,))) + run(organisation=NON_PROFIT)

    assert {finding.code for finding in findings} == {code.value for code in Code}


def test_check_deadline_must_be_a_date_not_a_datetime():
    with pytest.raises(TypeError, match="date"):
        run(deadline=dt.datetime(2025, 6, 30, 17, 0, tzinfo=dt.UTC))


# --- Art. 2: organisations only ---


def test_organisation_individual_fails():
    findings = run(organisation=dataclasses.replace(FOR_PROFIT, is_legal_entity_or_organisation=False))

    assert find(findings, "2-organisation").outcome == Outcome.FAIL
    assert eligibility.summary(findings) == Outcome.FAIL


# --- Art. 8(1): registered in Luohe five years or more at the deadline ---


@pytest.mark.parametrize(
    ("registered", "outcome"),
    [
        (dt.date(2020, 6, 29), Outcome.PASS),  # fifth anniversary yesterday
        (dt.date(2020, 6, 30), Outcome.PASS),  # fifth anniversary today: 五年以上（含五年）
        (dt.date(2020, 7, 1), Outcome.FAIL),  # fifth anniversary tomorrow
    ],
    ids=["anniversary-yesterday", "anniversary-today", "anniversary-tomorrow"],
)
def test_registration_fifth_anniversary_boundary(registered, outcome):
    assert find(registered_since(registered), "8(1)-registration").outcome == outcome


def test_registration_one_day_short_message_gives_years_and_months():
    finding = find(registered_since(dt.date(2020, 7, 1)), "8(1)-registration")

    assert english(finding) == "Registered in Luohe for 4 years 11 months, less than 5 years (Art. 8(1))."


def test_registration_on_the_anniversary_message():
    finding = find(registered_since(dt.date(2020, 6, 30)), "8(1)-registration")

    assert english(finding) == "Registered in Luohe for 5 years, at least 5 years (Art. 8(1))."


@pytest.mark.parametrize(
    ("deadline", "outcome"),
    [
        (dt.date(2025, 2, 27), Outcome.FAIL),
        (dt.date(2025, 2, 28), Outcome.PASS),  # no 29 February in 2025: the period ends on the 28th
        (dt.date(2025, 3, 1), Outcome.PASS),
    ],
)
def test_registration_on_29_february_ends_on_28_february(deadline, outcome):
    findings = registered_since(dt.date(2020, 2, 29), deadline=deadline)

    assert find(findings, "8(1)-registration").outcome == outcome


def test_registration_on_29_february_reaches_29_february_in_a_leap_year():
    assert find(registered_since(dt.date(2016, 2, 29), deadline=dt.date(2021, 2, 28)), "8(1)-registration").outcome == (
        Outcome.PASS
    )
    assert find(registered_since(dt.date(2019, 2, 28), deadline=dt.date(2024, 2, 27)), "8(1)-registration").outcome == (
        Outcome.FAIL
    )


def test_registration_moved_into_luohe_recently_fails():
    finding = find(registered_since(dt.date(2025, 3, 1)), "8(1)-registration")

    assert finding.outcome == Outcome.FAIL
    assert english(finding) == "Registered in Luohe for 3 months, less than 5 years (Art. 8(1))."


def test_registration_one_year_one_month_message_is_singular():
    finding = find(registered_since(dt.date(2024, 5, 30)), "8(1)-registration")

    assert english(finding) == "Registered in Luohe for 1 year 1 month, less than 5 years (Art. 8(1))."


def test_registration_missing_date_fails():
    assert find(registered_since(None), "8(1)-registration").outcome == Outcome.FAIL


def test_registration_after_the_deadline_fails():
    finding = find(registered_since(dt.date(2025, 7, 1)), "8(1)-registration")

    assert finding.outcome == Outcome.FAIL
    assert english(finding) == (
        "Registered in Luohe on 2025-07-01, after the application deadline 2025-06-30 (Art. 8(1))."
    )


# --- Art. 8(2): excellence model, self-assessment report, three years of data ---


@pytest.mark.parametrize(
    ("since", "outcome"),
    [
        (dt.date(2024, 6, 30), Outcome.PASS),  # exactly one year: 一年以上
        (dt.date(2024, 7, 1), Outcome.FAIL),
        (None, Outcome.FAIL),
        (dt.date(2025, 7, 1), Outcome.FAIL),
    ],
)
def test_excellence_model_one_year_or_more(since, outcome):
    assert find(with_dossier(excellence_model_since=since), "8(2)-excellence-model").outcome == outcome


def test_excellence_model_short_message():
    finding = find(with_dossier(excellence_model_since=dt.date(2024, 7, 1)), "8(2)-excellence-model")

    assert english(finding) == (
        "The performance excellence model has been used for 11 months, less than 1 year (Art. 8(2))."
    )


def test_self_assessment_report_missing_fails():
    findings = with_dossier(self_assessment_report_attached=False)

    assert not_passing(findings) == {
        "8(2)-self-assessment": Outcome.FAIL,
        **dict.fromkeys(JUDGEMENTS_OF_A_CLEAN_APPLICATION, Outcome.JUDGEMENT),
    }


def test_three_years_missing_year_is_named():
    results = tuple(result for result in DOSSIER.results if result.year != 2023)

    finding = find(with_dossier(results=results), "8(2)-three-years")

    assert finding.outcome == Outcome.FAIL
    assert english(finding) == (
        "Data missing for 2023: the self-assessment report needs three complete years, 2022, 2023, 2024 (Art. 8(2))."
    )


def test_three_years_data_of_the_current_year_does_not_replace_a_past_one():
    results = (*[result for result in DOSSIER.results if result.year != 2022], YearResult(2025, *[Decimal(1)] * 4))

    assert find(with_dossier(results=results), "8(2)-three-years").outcome == Outcome.FAIL


def test_three_years_for_profit_year_without_net_profit_is_incomplete():
    results = (*DOSSIER.results[:2], dataclasses.replace(DOSSIER.results[2], net_profit=None))

    findings = with_dossier(results=results)

    assert find(findings, "8(2)-three-years").outcome == Outcome.FAIL
    assert find(findings, "8(3)-no-loss").outcome == Outcome.FAIL


def test_three_years_for_profit_asset_contribution_rate_is_optional():
    results = tuple(dataclasses.replace(result, asset_contribution_rate=None) for result in DOSSIER.results)

    assert find(with_dossier(results=results), "8(2)-three-years").outcome == Outcome.PASS


def test_three_years_non_profit_needs_a_record_per_year_only():
    findings = run(organisation=NON_PROFIT, dossier=NON_PROFIT_DOSSIER)

    assert find(findings, "8(2)-three-years").outcome == Outcome.PASS


def test_results_one_per_year():
    with pytest.raises(ValueError, match="one result per year"):
        dataclasses.replace(DOSSIER, results=(YearResult(2024), YearResult(2024)))


# --- Art. 8(3) for-profit: no loss in the last three years, top five in the previous year ---


def results_with_net_profit(year, amount):
    return tuple(
        dataclasses.replace(result, net_profit=amount) if result.year == year else result for result in DOSSIER.results
    )


def test_no_loss_a_loss_in_one_of_three_years_fails_naming_year_and_amount():
    finding = find(with_dossier(results=results_with_net_profit(2023, Decimal("-1500000.00"))), "8(3)-no-loss")

    assert finding.outcome == Outcome.FAIL
    assert english(finding) == (
        "Loss in 2023 (net profit -1,500,000.00 × 10,000 yuan): a for-profit applicant may have no loss in the "
        "last three years (Art. 8(3))."
    )


def test_no_loss_zero_profit_is_not_a_loss():
    findings = with_dossier(results=results_with_net_profit(2022, Decimal("0")))

    assert find(findings, "8(3)-no-loss").outcome == Outcome.PASS
    assert english(find(findings, "8(3)-no-loss")) == "No loss in 2022, 2023, 2024 (Art. 8(3))."


def test_no_loss_a_loss_four_years_back_does_not_count():
    results = (*DOSSIER.results, YearResult(2021, Decimal(1), Decimal(1), Decimal("-1"), None))

    assert find(with_dossier(results=results), "8(3)-no-loss").outcome == Outcome.PASS


def test_top_five_claim_missing_fails():
    findings = with_dossier(top_five_claim=None)

    assert not_passing(findings) == {
        "8(3)-top-five": Outcome.FAIL,
        **dict.fromkeys(JUDGEMENTS_OF_A_CLEAN_APPLICATION, Outcome.JUDGEMENT),
    }
    assert english(find(findings, "8(3)-top-five")).startswith("No top-five rank for 2024 is claimed")


@pytest.mark.parametrize(
    ("rank", "evidence", "outcome"),
    [
        (1, True, Outcome.PASS),
        (5, True, Outcome.PASS),  # 前五名 includes the fifth
        (6, True, Outcome.FAIL),
        (None, True, Outcome.FAIL),
        (3, False, Outcome.JUDGEMENT),
        (6, False, Outcome.FAIL),
    ],
)
def test_top_five_rank_and_evidence(rank, evidence, outcome):
    claim = TopFiveClaim(indicator="total_profit_and_tax", rank=rank, evidence_attached=evidence)

    assert find(with_dossier(top_five_claim=claim), "8(3)-top-five").outcome == outcome


def test_top_five_message_names_indicator_rank_and_previous_year():
    claim = TopFiveClaim(indicator="asset_contribution_rate", rank=6, evidence_attached=True)

    finding = find(with_dossier(top_five_claim=claim), "8(3)-top-five")

    assert english(finding) == (
        "Ranked 6 by total-asset contribution rate in 2024, outside the city's top five in the industry (Art. 8(3))."
    )


@pytest.mark.parametrize("indicator", list(eligibility.TOP_FIVE_INDICATORS))
def test_top_five_any_of_the_four_named_indicators_counts(indicator):
    claim = TopFiveClaim(indicator=indicator, rank=4, evidence_attached=True)

    assert find(with_dossier(top_five_claim=claim), "8(3)-top-five").outcome == Outcome.PASS


def test_top_five_claim_rejects_unknown_indicator_and_rank_below_one():
    with pytest.raises(ValueError, match="unknown indicator"):
        TopFiveClaim(indicator="market_share", rank=1, evidence_attached=True)
    with pytest.raises(ValueError, match="starts at 1"):
        TopFiveClaim(indicator="quality_level", rank=0, evidence_attached=True)


# --- Art. 8(3) non-profit: social contribution, judged by the secretariat ---


def test_non_profit_social_contribution_routed_to_judgement():
    findings = run(organisation=NON_PROFIT, dossier=NON_PROFIT_DOSSIER)

    assert not_passing(findings) == {
        "8(3)-social-contribution": Outcome.JUDGEMENT,
        **dict.fromkeys(JUDGEMENTS_OF_A_CLEAN_APPLICATION, Outcome.JUDGEMENT),
    }
    assert "8(3)-no-loss" not in codes(findings)
    assert "8(3)-top-five" not in codes(findings)


@pytest.mark.parametrize("text", ["", "   \n"])
def test_non_profit_without_social_contribution_fails(text):
    dossier = dataclasses.replace(NON_PROFIT_DOSSIER, social_contribution=text)

    assert find(run(organisation=NON_PROFIT, dossier=dossier), "8(3)-social-contribution").outcome == Outcome.FAIL


def test_for_profit_is_not_judged_on_social_contribution():
    assert "8(3)-social-contribution" not in codes(run())


# --- Art. 9: declarations ---


@pytest.mark.parametrize("article", eligibility.DECLARATION_ARTICLES)
def test_declaration_not_affirmed_fails(article):
    findings = with_dossier(declarations={**ALL_DECLARED, article: False})

    assert find(findings, f"{article}-declaration").outcome == Outcome.FAIL


@pytest.mark.parametrize("article", eligibility.DECLARATION_ARTICLES)
def test_declaration_missing_fails(article):
    declarations = {key: value for key, value in ALL_DECLARED.items() if key != article}

    assert find(with_dossier(declarations=declarations), f"{article}-declaration").outcome == Outcome.FAIL


def test_declaration_policy_and_licences_need_judgement_even_when_affirmed():
    findings = run()

    assert find(findings, "9(1)-declaration").outcome == Outcome.JUDGEMENT
    assert find(findings, "9(2)-declaration").outcome == Outcome.JUDGEMENT


def test_declaration_unknown_article_is_an_error():
    with pytest.raises(ValueError, match="unknown declarations"):
        dataclasses.replace(DOSSIER, declarations={**ALL_DECLARED, "9(7)": True})


# --- Art. 9(3), 9(4), 9(6): incidents within the last three years (C4) ---


@pytest.mark.parametrize("article", eligibility.INCIDENT_ARTICLES)
@pytest.mark.parametrize(
    ("on", "outcome"),
    [
        (dt.date(2022, 6, 29), Outcome.PASS),  # one day more than three years before the deadline
        (dt.date(2022, 6, 30), Outcome.FAIL),  # exactly three years before: 近三年内 includes it
        (dt.date(2025, 6, 30), Outcome.FAIL),  # on the deadline
        (dt.date(2025, 7, 1), Outcome.JUDGEMENT),  # after the deadline: outside C4, put before the secretariat
    ],
)
def test_incidents_count_within_the_last_three_years(article, on, outcome):
    findings = with_dossier(incidents=(Incident(article=article, on=on, description="recorded"),))

    assert find(findings, f"{article}-incidents").outcome == outcome


def test_incidents_only_affect_their_own_article():
    findings = with_dossier(incidents=(Incident(article="9(4)", on=dt.date(2024, 1, 1), description="x"),))

    assert not_passing(findings) == {
        "9(4)-incidents": Outcome.FAIL,
        **dict.fromkeys(JUDGEMENTS_OF_A_CLEAN_APPLICATION, Outcome.JUDGEMENT),
    }


def test_incidents_message_names_window_and_incident():
    incident = Incident(article="9(3)", on=dt.date(2022, 6, 30), description="Boiler explosion")

    finding = find(with_dossier(incidents=(incident,)), "9(3)-incidents")

    assert english(finding) == (
        "Liability accident within the last three years, from 2022-06-30 to 2025-06-30: 2022-06-30 Boiler "
        "explosion (Art. 9(3))."
    )


def test_incidents_older_and_newer_the_newer_decides():
    incidents = (
        Incident(article="9(6)", on=dt.date(2019, 5, 1), description="old"),
        Incident(article="9(6)", on=dt.date(2023, 5, 1), description="recent"),
    )

    finding = find(with_dossier(incidents=incidents), "9(6)-incidents")

    assert finding.outcome == Outcome.FAIL
    assert "2023-05-01 recent" in english(finding)
    assert "old" not in english(finding)


def test_incident_under_another_article_is_an_error():
    with pytest.raises(ValueError, match="incidents are recorded under"):
        Incident(article="9(5)", on=DEADLINE, description="fraud is history, not an incident")


# --- Art. 9(5): fraud in the last three cycles (C6) ---


@pytest.mark.parametrize(
    ("cycle", "outcome"),
    [(CYCLE - 1, Outcome.FAIL), (CYCLE - 2, Outcome.FAIL), (CYCLE - 3, Outcome.FAIL), (CYCLE - 4, Outcome.PASS)],
    ids=["N-1", "N-2", "N-3", "N-4"],
)
def test_fraud_in_the_last_three_cycles_fails(cycle, outcome):
    findings = run(history=History(fraud_found_in_cycles=(cycle,)))

    assert find(findings, "9(5)-fraud").outcome == outcome


def test_fraud_message_names_the_cycle():
    finding = find(run(history=History(fraud_found_in_cycles=(3,))), "9(5)-fraud")

    assert english(finding) == (
        "Fraud or another violation in the award's review was found in cycle 3, one of the last three cycles "
        "(Art. 9(5))."
    )


# --- Art. 25: no new application within three cycles of a win; repeat winners ---


@pytest.mark.parametrize("cycle", [CYCLE - 1, CYCLE - 2, CYCLE - 3], ids=["N-1", "N-2", "N-3"])
def test_award_in_the_last_three_cycles_bars_the_application(cycle):
    findings = run(history=History(awards_won_in_cycles=(cycle,)))

    assert find(findings, "25-barred").outcome == Outcome.FAIL
    assert "25-repeat" not in codes(findings)


def test_award_in_cycle_n_minus_3_message_names_the_first_cycle_allowed():
    finding = find(run(history=History(awards_won_in_cycles=(CYCLE - 3,))), "25-barred")

    assert english(finding) == (
        "Won the award in cycle 3: a winner may not apply again within three cycles, so not before cycle 7 (Art. 25)."
    )


def test_award_in_cycle_n_minus_4_may_apply_as_a_repeat_winner():
    findings = run(history=History(awards_won_in_cycles=(CYCLE - 4,)))

    assert find(findings, "25-barred").outcome == Outcome.PASS
    repeat = find(findings, "25-repeat")
    assert repeat.outcome == Outcome.PASS
    assert english(repeat) == (
        "Won the award before, in cycle 2: if it wins again, it receives no prize money and does not count toward "
        "the number of winners (Art. 25)."
    )
    assert eligibility.summary(findings) == Outcome.JUDGEMENT


def test_award_history_at_or_after_the_current_cycle_is_ignored():
    findings = run(history=History(awards_won_in_cycles=(CYCLE, CYCLE + 1), fraud_found_in_cycles=(CYCLE,)))

    assert find(findings, "25-barred").outcome == Outcome.PASS
    assert find(findings, "9(5)-fraud").outcome == Outcome.PASS
    assert "25-repeat" not in codes(findings)


# --- Art. 15: completeness ---


def test_completeness_missing_sections_are_listed():
    finding = find(with_dossier(missing_sections=("Organisation profile", "Results")), "15-completeness")

    assert finding.outcome == Outcome.FAIL
    assert english(finding) == "Sections missing from the dossier: Organisation profile, Results (Art. 15)."


# --- summary, failed articles, the secretariat's decisions ---


def make(outcome):
    return Finding(code="x", article="x", outcome=outcome, message=eligibility.COMPLETENESS_PASSES)


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([], Outcome.PASS),
        ([Outcome.PASS, Outcome.PASS], Outcome.PASS),
        ([Outcome.PASS, Outcome.JUDGEMENT], Outcome.JUDGEMENT),
        ([Outcome.JUDGEMENT, Outcome.FAIL, Outcome.PASS], Outcome.FAIL),
    ],
)
def test_summary_fail_beats_judgement_beats_pass(outcomes, expected):
    assert eligibility.summary([make(outcome) for outcome in outcomes]) == expected


def test_failed_articles_each_once_in_article_order():
    findings = with_dossier(
        declarations={**ALL_DECLARED, "9(3)": False, "9(6)": False}, self_assessment_report_attached=False
    )

    assert eligibility.failed_articles(findings) == ["8(2)", "9(3)", "9(6)"]


def test_decide_confirmed_judgements_let_a_clean_application_pass():
    decided = eligibility.decide(run(), dict.fromkeys(JUDGEMENTS_OF_A_CLEAN_APPLICATION, True))

    assert eligibility.summary(decided) == Outcome.PASS
    assert english(find(decided, "9(2)-declaration")) == (
        "Declared to hold every licence and permit the law requires: the secretariat checks them (Art. 9(2)). "
        "The secretariat confirmed it."
    )


def test_decide_rejected_judgement_fails():
    decided = eligibility.decide(run(), {"9(1)-declaration": False, "9(2)-declaration": True})

    assert find(decided, "9(1)-declaration").outcome == Outcome.FAIL
    assert eligibility.failed_articles(decided) == ["9(1)"]


def test_decide_cannot_overrule_a_pass_or_a_fail():
    findings = registered_since(dt.date(2024, 1, 1))

    with pytest.raises(ValueError, match="only findings that need judgement"):
        eligibility.decide(findings, {"8(1)-registration": True})


# --- messages are lazy and translated when rendered ---


def test_message_is_lazy_and_rendered_in_the_active_language(monkeypatch):
    catalog = trans_real.translation("zh-hans")._catalog._catalogs[0]
    monkeypatch.setitem(
        catalog,
        "Registered in Luohe for %(duration)s, less than 5 years (Art. 8(1)).",
        "在漯河登记注册%(duration)s，不足5年（第八条第一项）",
    )
    monkeypatch.setitem(catalog, ("%(count)s year", 0), "%(count)s年")
    monkeypatch.setitem(catalog, ("%(count)s month", 0), "%(count)s个月")
    monkeypatch.setitem(catalog, "a duration: years, then months\x04%(years)s %(months)s", "%(years)s%(months)s")
    with translation.override("en"):
        finding = find(registered_since(dt.date(2020, 7, 1)), "8(1)-registration")

    assert isinstance(finding.message, Promise)
    assert finding.message_in("zh-hans") == "在漯河登记注册4年11个月，不足5年（第八条第一项）"
    assert finding.message_in("en") == "Registered in Luohe for 4 years 11 months, less than 5 years (Art. 8(1))."


def test_outcome_labels_are_lazy():
    with translation.override("en"):
        assert [str(outcome.label) for outcome in Outcome] == ["Passed", "Failed", "Needs the secretariat's judgement"]


# --- the module is pure ---


@pytest.mark.parametrize("module", ["eligibility", "timewords"])
def test_rule_module_imports_no_model_and_no_database(module):
    source = (Path(applications.__file__).parent / f"{module}.py").read_text(encoding="utf-8")

    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
            imported |= {alias.name for alias in node.names}

    assert not [name for name in imported if "django.db" in name or "models" in name]
    assert {name for name in imported if name.startswith("django")} <= {
        "django.utils",
        "django.utils.functional",
        "django.utils.translation",
    }
