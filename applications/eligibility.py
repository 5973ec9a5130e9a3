"""Eligibility of an application (资格审查, Art. 2, 8, 9, 15, 25), as pure functions over plain data.

No models and no database: the caller turns an organisation, its dossier and the award's history into the plain
dataclasses below, passes the cycle's number and its application deadline, and gets back one `Finding` per rule.
Every finding has a stable `code`, the `article` it applies, an `Outcome` and a lazily translated message that
cites the article, so the same findings render in Chinese or English at display time.

Reading of the time words (rules.md C1-C6, see `timewords`): every duration is measured at the application
deadline `D`; "five years or more" and "one year or more" include the anniversary; "the last three years" is
`D - 3 years <= E <= D`; financial years are `Y-1, Y-2, Y-3` for a deadline in year `Y`; "the last three cycles"
before cycle `N` are `N-1, N-2, N-3`.

Choices the regulation leaves open, decided here:

- Missing facts fail: no registration date, no start date of the excellence model, a year without its figures.
  The applicant can supply them; the software never guesses.
- Art. 8(2): a year's data are complete for a for-profit applicant when operating revenue, total profit and tax
  and net profit are all given (the total-asset contribution rate is optional: it matters only when claimed for
  the top five); for a non-profit, when a record for that year exists.
- Art. 8(3): the top-five claim is read as one of the four named indicators (rules.md #20) in year `Y-1`. A rank of
  1 to 5 with evidence passes, a claim without evidence needs the secretariat's judgement, anything else fails.
  A non-profit's social contribution always needs the secretariat's judgement (never an automatic pass).
- Art. 9: the applicant declares each of the six exclusions absent; an unaffirmed (or missing) declaration fails.
  The software cannot know whether an organisation fits industrial, environmental and quality policy (9(1)) or
  holds every licence the law requires (9(2)), so an affirmed 9(1) or 9(2) still needs the secretariat's
  judgement (rules.md #23-24, "declaration + secretariat finding"). For 9(3), 9(4) and 9(6) the incidents on record
  are a finding of their own: one within the last three years fails, an older one is outside the article, and one
  dated after the deadline is outside the article's window but is put before the secretariat rather than ignored.
- Art. 9(5) and Art. 25 look at cycles `N-1..N-3` only; history entries for cycle `N` or later are ignored.
  An earlier win (cycle `N-4` or before) does not bar the applicant but makes it a repeat winner: no prize money
  and not counted toward the cycle's winners (finding "25-repeat", a pass with that information).

`summary(findings)` folds the findings into one outcome, and `decide(findings, decisions)` records the
secretariat's decisions on the findings that need its judgement.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from mayor_award.core.lazytext import format_lazy as _format
from mayor_award.core.lazytext import join_lazy

from .timewords import (
    add_years,
    completed_years_and_months,
    has_lasted_years,
    previous_cycles,
    previous_financial_years,
    within_last_years,
)

MIN_YEARS_REGISTERED = 5  # Art. 8(1): 五年以上（含五年）
MIN_YEARS_EXCELLENCE_MODEL = 1  # Art. 8(2): 一年以上
DATA_YEARS = 3  # Art. 8(2): 三年数据; Art. 8(3): 最近三年
TOP_RANKS = 5  # Art. 8(3): 前五名
EXCLUSION_YEARS = 3  # Art. 9(3), 9(4), 9(6): 近三年内
EXCLUSION_CYCLES = 3  # Art. 9(5): 近三届内
BARRED_CYCLES = 3  # Art. 25: 三届内不得再次申报


class Outcome(StrEnum):
    """What a rule says about the application."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    JUDGEMENT = "judgement"  # the secretariat must decide and record its decision

    @property
    def label(self) -> Promise:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS: dict[Outcome, Promise] = {
    Outcome.PASS: pgettext_lazy("eligibility outcome", "Passed"),
    Outcome.FAIL: pgettext_lazy("eligibility outcome", "Failed"),
    Outcome.JUDGEMENT: pgettext_lazy("eligibility outcome", "Needs the secretariat's judgement"),
}


class Code(StrEnum):
    """Stable codes of the findings: the article, a hyphen and what is checked."""

    ORGANISATION = "2-organisation"
    REGISTRATION = "8(1)-registration"
    EXCELLENCE_MODEL = "8(2)-excellence-model"
    SELF_ASSESSMENT = "8(2)-self-assessment"
    THREE_YEARS = "8(2)-three-years"
    NO_LOSS = "8(3)-no-loss"
    TOP_FIVE = "8(3)-top-five"
    SOCIAL_CONTRIBUTION = "8(3)-social-contribution"
    POLICY_DECLARATION = "9(1)-declaration"
    LICENCE_DECLARATION = "9(2)-declaration"
    ACCIDENT_DECLARATION = "9(3)-declaration"
    ACCIDENT_INCIDENTS = "9(3)-incidents"
    QUALITY_DECLARATION = "9(4)-declaration"
    QUALITY_INCIDENTS = "9(4)-incidents"
    FRAUD_DECLARATION = "9(5)-declaration"
    FRAUD = "9(5)-fraud"
    CREDIT_DECLARATION = "9(6)-declaration"
    CREDIT_INCIDENTS = "9(6)-incidents"
    COMPLETENESS = "15-completeness"
    BARRED = "25-barred"
    REPEAT = "25-repeat"

    @property
    def article(self) -> str:
        return self.value.split("-", 1)[0]


DECLARATION_ARTICLES = ("9(1)", "9(2)", "9(3)", "9(4)", "9(5)", "9(6)")
INCIDENT_ARTICLES = ("9(3)", "9(4)", "9(6)")

TOP_FIVE_INDICATORS: dict[str, Promise] = {  # Art. 8(3)
    "quality_level": _("quality level"),
    "operating_revenue": _("operating revenue"),
    "total_profit_and_tax": _("total profit and tax"),
    "asset_contribution_rate": _("total-asset contribution rate"),
}


# --- inputs ---


@dataclass(frozen=True)
class OrganisationFacts:
    """Who applies (Art. 2, 8(1)). `registered_in_luohe_since`: the date of registration in Luohe."""

    is_legal_entity_or_organisation: bool
    for_profit: bool
    registered_in_luohe_since: date | None


@dataclass(frozen=True)
class YearResult:
    """One financial (calendar) year of the self-assessment data; money in 10,000 yuan (万元), the rate in per cent.

    None means the figure was not given. A loss is a negative net profit.
    """

    year: int
    operating_revenue: Decimal | None = None
    total_profit_and_tax: Decimal | None = None
    net_profit: Decimal | None = None
    asset_contribution_rate: Decimal | None = None

    def complete_for_profit(self) -> bool:
        return None not in (self.operating_revenue, self.total_profit_and_tax, self.net_profit)


@dataclass(frozen=True)
class TopFiveClaim:
    """The claimed city rank in the industry in the previous year (Art. 8(3)); rank None: not stated."""

    indicator: str
    rank: int | None
    evidence_attached: bool

    def __post_init__(self):
        if self.indicator not in TOP_FIVE_INDICATORS:
            raise ValueError(f"unknown indicator {self.indicator!r}; one of {', '.join(TOP_FIVE_INDICATORS)}")
        if self.rank is not None and self.rank < 1:
            raise ValueError(f"a rank starts at 1, not {self.rank}")


@dataclass(frozen=True)
class Incident:
    """An event on record that Art. 9(3), 9(4) or 9(6) excludes when it lies within the last three years."""

    article: str
    on: date
    description: str

    def __post_init__(self):
        if self.article not in INCIDENT_ARTICLES:
            raise ValueError(f"incidents are recorded under {', '.join(INCIDENT_ARTICLES)}, not {self.article!r}")


@dataclass(frozen=True)
class DossierFacts:
    """What the dossier says. Every default is the value that fails, so a forgotten fact never passes.

    `declarations` maps "9(1)".."9(6)" to True when the organisation affirms it is NOT in that situation.
    `missing_sections` names the dossier's sections that are absent (labels, shown as given).
    """

    excellence_model_since: date | None = None
    results: tuple[YearResult, ...] = ()
    top_five_claim: TopFiveClaim | None = None
    self_assessment_report_attached: bool = False
    social_contribution: str = ""
    declarations: Mapping[str, bool] = field(default_factory=dict)
    incidents: tuple[Incident, ...] = ()
    missing_sections: tuple[str, ...] = ()

    def __post_init__(self):
        unknown = set(self.declarations) - set(DECLARATION_ARTICLES)
        if unknown:
            raise ValueError(f"unknown declarations {sorted(unknown)}; they are {', '.join(DECLARATION_ARTICLES)}")
        years = [result.year for result in self.results]
        if len(years) != len(set(years)):
            raise ValueError(f"one result per year, got years {years}")


@dataclass(frozen=True)
class History:
    """The organisation's past in the award: the cycles it won, and those in which fraud was found (Art. 9(5))."""

    awards_won_in_cycles: tuple[int, ...] = ()
    fraud_found_in_cycles: tuple[int, ...] = ()


# --- findings ---


@dataclass(frozen=True)
class Finding:
    """What one rule says: `message` is a lazy string, translated when it is rendered."""

    code: str
    article: str
    outcome: Outcome
    message: Promise

    def message_in(self, language: str) -> str:
        """The message rendered in `language` ("zh-hans", "en")."""
        with translation.override(language):
            return str(self.message)


YEARS = ngettext_lazy("%(count)s year", "%(count)s years", "count")
MONTHS = ngettext_lazy("%(count)s month", "%(count)s months", "count")
YEARS_AND_MONTHS = pgettext_lazy("a duration: years, then months", "%(years)s %(months)s")


def _join(items: Iterable) -> Promise:
    return join_lazy(items)


def _duration(start: date, end: date) -> Promise:
    years, months = completed_years_and_months(start, end)
    if years and months:
        return _format(YEARS_AND_MONTHS, years=_format(YEARS, count=years), months=_format(MONTHS, count=months))
    if years:
        return _format(YEARS, count=years)
    return _format(MONTHS, count=months)


def _amount(value: Decimal) -> str:
    return f"{value:,}"


def _finding(code: Code, outcome: Outcome, message: Promise) -> Finding:
    return Finding(code=code.value, article=code.article, outcome=outcome, message=message)


# --- Art. 2 and 8(1) ---

ORGANISATION_PASSES = _("The applicant is an organisation (Art. 2, Art. 8(1)).")
ORGANISATION_FAILS = _("Only organisations may apply; an individual cannot (Art. 2, Art. 8(1)).")
REGISTRATION_MISSING = _("The date of registration in Luohe is missing (Art. 8(1)).")
REGISTRATION_AFTER_DEADLINE = _(
    "Registered in Luohe on %(since)s, after the application deadline %(deadline)s (Art. 8(1))."
)
REGISTRATION_PASSES = _("Registered in Luohe for %(duration)s, at least 5 years (Art. 8(1)).")
REGISTRATION_FAILS = _("Registered in Luohe for %(duration)s, less than 5 years (Art. 8(1)).")


def _organisation(organisation: OrganisationFacts) -> Finding:
    if organisation.is_legal_entity_or_organisation:
        return _finding(Code.ORGANISATION, Outcome.PASS, ORGANISATION_PASSES)
    return _finding(Code.ORGANISATION, Outcome.FAIL, ORGANISATION_FAILS)


def _registration(since: date | None, deadline: date) -> Finding:
    if since is None:
        return _finding(Code.REGISTRATION, Outcome.FAIL, REGISTRATION_MISSING)
    if since > deadline:
        message = _format(REGISTRATION_AFTER_DEADLINE, since=since.isoformat(), deadline=deadline.isoformat())
        return _finding(Code.REGISTRATION, Outcome.FAIL, message)
    duration = _duration(since, deadline)
    if has_lasted_years(since, deadline, MIN_YEARS_REGISTERED):
        return _finding(Code.REGISTRATION, Outcome.PASS, _format(REGISTRATION_PASSES, duration=duration))
    return _finding(Code.REGISTRATION, Outcome.FAIL, _format(REGISTRATION_FAILS, duration=duration))


# --- Art. 8(2) ---

EXCELLENCE_MODEL_MISSING = _("The date from which the performance excellence model is used is missing (Art. 8(2)).")
EXCELLENCE_MODEL_AFTER_DEADLINE = _(
    "The performance excellence model is used from %(since)s, after the application deadline %(deadline)s (Art. 8(2))."
)
EXCELLENCE_MODEL_PASSES = _(
    "The performance excellence model has been used for %(duration)s, at least 1 year (Art. 8(2))."
)
EXCELLENCE_MODEL_FAILS = _(
    "The performance excellence model has been used for %(duration)s, less than 1 year (Art. 8(2))."
)
SELF_ASSESSMENT_PASSES = _("The self-assessment report is attached (Art. 8(2)).")
SELF_ASSESSMENT_FAILS = _("The self-assessment report is missing (Art. 8(2)).")
THREE_YEARS_PASSES = _("The data of the three years %(years)s are complete (Art. 8(2)).")
THREE_YEARS_FAILS = _(
    "Data missing for %(missing)s: the self-assessment report needs three complete years, %(years)s (Art. 8(2))."
)


def _excellence_model(since: date | None, deadline: date) -> Finding:
    if since is None:
        return _finding(Code.EXCELLENCE_MODEL, Outcome.FAIL, EXCELLENCE_MODEL_MISSING)
    if since > deadline:
        message = _format(EXCELLENCE_MODEL_AFTER_DEADLINE, since=since.isoformat(), deadline=deadline.isoformat())
        return _finding(Code.EXCELLENCE_MODEL, Outcome.FAIL, message)
    duration = _duration(since, deadline)
    if has_lasted_years(since, deadline, MIN_YEARS_EXCELLENCE_MODEL):
        return _finding(Code.EXCELLENCE_MODEL, Outcome.PASS, _format(EXCELLENCE_MODEL_PASSES, duration=duration))
    return _finding(Code.EXCELLENCE_MODEL, Outcome.FAIL, _format(EXCELLENCE_MODEL_FAILS, duration=duration))


def _self_assessment(attached: bool) -> Finding:
    if attached:
        return _finding(Code.SELF_ASSESSMENT, Outcome.PASS, SELF_ASSESSMENT_PASSES)
    return _finding(Code.SELF_ASSESSMENT, Outcome.FAIL, SELF_ASSESSMENT_FAILS)


def _three_years(results: dict[int, YearResult], years: list[int], *, for_profit: bool) -> Finding:
    def complete(year: int) -> bool:
        result = results.get(year)
        return result is not None and (not for_profit or result.complete_for_profit())

    missing = sorted(year for year in years if not complete(year))
    if not missing:
        return _finding(Code.THREE_YEARS, Outcome.PASS, _format(THREE_YEARS_PASSES, years=_join(sorted(years))))
    message = _format(THREE_YEARS_FAILS, missing=_join(missing), years=_join(sorted(years)))
    return _finding(Code.THREE_YEARS, Outcome.FAIL, message)


# --- Art. 8(3) ---

NO_LOSS_PASSES = _("No loss in %(years)s (Art. 8(3)).")
NO_LOSS_FAILS = _("Loss in %(losses)s: a for-profit applicant may have no loss in the last three years (Art. 8(3)).")
NO_LOSS_LOSS = _("%(year)s (net profit %(amount)s × 10,000 yuan)")
NO_LOSS_UNKNOWN = _("Net profit not given for %(years)s, so the absence of a loss cannot be confirmed (Art. 8(3)).")
TOP_FIVE_MISSING = _(
    "No top-five rank for %(year)s is claimed: a for-profit applicant needs one of its quality level, operating "
    "revenue, total profit and tax or total-asset contribution rate among the city's top five in its industry "
    "(Art. 8(3))."
)
TOP_FIVE_NO_RANK = _("The claim by %(indicator)s for %(year)s states no rank (Art. 8(3)).")
TOP_FIVE_OUTSIDE = _(
    "Ranked %(rank)s by %(indicator)s in %(year)s, outside the city's top five in the industry (Art. 8(3))."
)
TOP_FIVE_NO_EVIDENCE = _(
    "Ranked %(rank)s by %(indicator)s in %(year)s, but no evidence is attached: the secretariat judges the claim "
    "(Art. 8(3))."
)
TOP_FIVE_PASSES = _(
    "Ranked %(rank)s by %(indicator)s in %(year)s, among the city's top five in the industry (Art. 8(3))."
)
SOCIAL_CONTRIBUTION_MISSING = _("A non-profit applicant must describe its social contribution (Art. 8(3)).")
SOCIAL_CONTRIBUTION_JUDGEMENT = _(
    "Social contribution described: the secretariat judges whether it is among the leaders of its field (Art. 8(3))."
)


def _no_loss(results: dict[int, YearResult], years: list[int]) -> Finding:
    ordered = sorted(years)
    net = {year: results[year].net_profit if year in results else None for year in ordered}
    losses = [(year, value) for year, value in net.items() if value is not None and value < 0]
    if losses:
        pieces = [_format(NO_LOSS_LOSS, year=year, amount=_amount(value)) for year, value in losses]
        return _finding(Code.NO_LOSS, Outcome.FAIL, _format(NO_LOSS_FAILS, losses=_join(pieces)))
    unknown = [year for year, value in net.items() if value is None]
    if unknown:
        return _finding(Code.NO_LOSS, Outcome.FAIL, _format(NO_LOSS_UNKNOWN, years=_join(unknown)))
    return _finding(Code.NO_LOSS, Outcome.PASS, _format(NO_LOSS_PASSES, years=_join(ordered)))


def _top_five(claim: TopFiveClaim | None, year: int) -> Finding:
    if claim is None:
        return _finding(Code.TOP_FIVE, Outcome.FAIL, _format(TOP_FIVE_MISSING, year=year))
    facts = {"indicator": TOP_FIVE_INDICATORS[claim.indicator], "year": year}
    if claim.rank is None:
        return _finding(Code.TOP_FIVE, Outcome.FAIL, _format(TOP_FIVE_NO_RANK, **facts))
    facts["rank"] = claim.rank
    if claim.rank > TOP_RANKS:
        return _finding(Code.TOP_FIVE, Outcome.FAIL, _format(TOP_FIVE_OUTSIDE, **facts))
    if not claim.evidence_attached:
        return _finding(Code.TOP_FIVE, Outcome.JUDGEMENT, _format(TOP_FIVE_NO_EVIDENCE, **facts))
    return _finding(Code.TOP_FIVE, Outcome.PASS, _format(TOP_FIVE_PASSES, **facts))


def _social_contribution(text: str) -> Finding:
    if not text.strip():
        return _finding(Code.SOCIAL_CONTRIBUTION, Outcome.FAIL, SOCIAL_CONTRIBUTION_MISSING)
    return _finding(Code.SOCIAL_CONTRIBUTION, Outcome.JUDGEMENT, SOCIAL_CONTRIBUTION_JUDGEMENT)


# --- Art. 9 ---

# article: (code, outcome when affirmed, message when affirmed, message when not affirmed)
DECLARATIONS: dict[str, tuple[Code, Outcome, Promise, Promise]] = {
    "9(1)": (
        Code.POLICY_DECLARATION,
        Outcome.JUDGEMENT,
        _(
            "Declared to conform to industrial, environmental and quality policy: the secretariat confirms it "
            "(Art. 9(1))."
        ),
        _(
            "The applicant has not declared that it conforms to industrial, environmental and quality policy "
            "(Art. 9(1))."
        ),
    ),
    "9(2)": (
        Code.LICENCE_DECLARATION,
        Outcome.JUDGEMENT,
        _("Declared to hold every licence and permit the law requires: the secretariat checks them (Art. 9(2))."),
        _("The applicant has not declared that it holds every licence and permit the law requires (Art. 9(2))."),
    ),
    "9(3)": (
        Code.ACCIDENT_DECLARATION,
        Outcome.PASS,
        _("Declared no quality, safety or environmental liability accident in the last three years (Art. 9(3))."),
        _(
            "The applicant has not declared that it had no quality, safety or environmental liability accident "
            "in the last three years (Art. 9(3))."
        ),
    ),
    "9(4)": (
        Code.QUALITY_DECLARATION,
        Outcome.PASS,
        _(
            "Declared that in the last three years no product failed supervisory sampling, no exported product "
            "caused a claim, return or investigation for quality, and no serious service-quality problem arose "
            "(Art. 9(4))."
        ),
        _(
            "The applicant has not declared that in the last three years no product failed supervisory sampling, "
            "no exported product caused a claim, return or investigation for quality, and no serious "
            "service-quality problem arose (Art. 9(4))."
        ),
    ),
    "9(5)": (
        Code.FRAUD_DECLARATION,
        Outcome.PASS,
        _("Declared no fraud or other violation in the award's review in the last three cycles (Art. 9(5))."),
        _(
            "The applicant has not declared that it committed no fraud or other violation in the award's review "
            "in the last three cycles (Art. 9(5))."
        ),
    ),
    "9(6)": (
        Code.CREDIT_DECLARATION,
        Outcome.PASS,
        _("Declared no credit blacklist record or other serious law violation in the last three years (Art. 9(6))."),
        _(
            "The applicant has not declared that it has no credit blacklist record or other serious law violation "
            "in the last three years (Art. 9(6))."
        ),
    ),
}

# article: (code, message when none within the window, when some within it, when some after the deadline)
INCIDENTS: dict[str, tuple[Code, Promise, Promise, Promise]] = {
    "9(3)": (
        Code.ACCIDENT_INCIDENTS,
        _("No liability accident on record from %(start)s to %(deadline)s (Art. 9(3))."),
        _("Liability accident within the last three years, from %(start)s to %(deadline)s: %(incidents)s (Art. 9(3))."),
        _(
            "Liability accident on record after the application deadline %(deadline)s: %(incidents)s. It lies "
            "outside the last three years the article counts; the secretariat judges it (Art. 9(3))."
        ),
    ),
    "9(4)": (
        Code.QUALITY_INCIDENTS,
        _(
            "No failed supervisory sampling, export quality claim or serious service-quality problem on record "
            "from %(start)s to %(deadline)s (Art. 9(4))."
        ),
        _(
            "Failed supervisory sampling, export quality claim or serious service-quality problem within the last "
            "three years, from %(start)s to %(deadline)s: %(incidents)s (Art. 9(4))."
        ),
        _(
            "Failed supervisory sampling, export quality claim or serious service-quality problem on record after "
            "the application deadline %(deadline)s: %(incidents)s. It lies outside the last three years the "
            "article counts; the secretariat judges it (Art. 9(4))."
        ),
    ),
    "9(6)": (
        Code.CREDIT_INCIDENTS,
        _("No credit blacklist record or serious law violation on record from %(start)s to %(deadline)s (Art. 9(6))."),
        _(
            "Credit blacklist record or serious law violation within the last three years, from %(start)s to "
            "%(deadline)s: %(incidents)s (Art. 9(6))."
        ),
        _(
            "Credit blacklist record or serious law violation on record after the application deadline "
            "%(deadline)s: %(incidents)s. It lies outside the last three years the article counts; the secretariat "
            "judges it (Art. 9(6))."
        ),
    ),
}

FRAUD_PASSES = _("No fraud or other violation in the award's review found in the last three cycles (Art. 9(5)).")
FRAUD_FAILS = ngettext_lazy(
    "Fraud or another violation in the award's review was found in cycle %(cycles)s, one of the last three cycles "
    "(Art. 9(5)).",
    "Fraud or another violation in the award's review was found in cycles %(cycles)s, within the last three cycles "
    "(Art. 9(5)).",
    "count",
)


def _declaration(article: str, declarations: Mapping[str, bool]) -> Finding:
    code, affirmed_outcome, affirmed, not_affirmed = DECLARATIONS[article]
    if declarations.get(article) is True:
        return _finding(code, affirmed_outcome, affirmed)
    return _finding(code, Outcome.FAIL, not_affirmed)


def _incidents(article: str, incidents: tuple[Incident, ...], deadline: date) -> Finding:
    code, none_within, within, after = INCIDENTS[article]
    start = add_years(deadline, -EXCLUSION_YEARS)
    window = {"start": start.isoformat(), "deadline": deadline.isoformat()}
    relevant = sorted((incident for incident in incidents if incident.article == article), key=lambda i: i.on)
    counted = [incident for incident in relevant if within_last_years(incident.on, deadline, EXCLUSION_YEARS)]
    later = [incident for incident in relevant if incident.on > deadline]
    if counted:
        return _finding(code, Outcome.FAIL, _format(within, incidents=_describe(counted), **window))
    if later:
        return _finding(code, Outcome.JUDGEMENT, _format(after, incidents=_describe(later), **window))
    return _finding(code, Outcome.PASS, _format(none_within, **window))


def _describe(incidents: list[Incident]) -> Promise:
    return _join(f"{incident.on.isoformat()} {incident.description}".strip() for incident in incidents)


def _fraud(fraud_cycles: tuple[int, ...], cycle_number: int) -> Finding:
    found = sorted(set(fraud_cycles) & set(previous_cycles(cycle_number, EXCLUSION_CYCLES)))
    if found:
        return _finding(Code.FRAUD, Outcome.FAIL, _format(FRAUD_FAILS, cycles=_join(found), count=len(found)))
    return _finding(Code.FRAUD, Outcome.PASS, FRAUD_PASSES)


# --- Art. 15 ---

COMPLETENESS_PASSES = _("Every section of the dossier is present (Art. 15).")
COMPLETENESS_FAILS = _("Sections missing from the dossier: %(sections)s (Art. 15).")


def _completeness(missing_sections: tuple[str, ...]) -> Finding:
    if missing_sections:
        message = _format(COMPLETENESS_FAILS, sections=_join(missing_sections))
        return _finding(Code.COMPLETENESS, Outcome.FAIL, message)
    return _finding(Code.COMPLETENESS, Outcome.PASS, COMPLETENESS_PASSES)


# --- Art. 25 ---

BARRED_PASSES = _("No award won in the last three cycles (Art. 25).")
BARRED_FAILS = _(
    "Won the award in cycle %(cycle)s: a winner may not apply again within three cycles, so not before cycle "
    "%(first_cycle)s (Art. 25)."
)
REPEAT_WINNER = ngettext_lazy(
    "Won the award before, in cycle %(cycles)s: if it wins again, it receives no prize money and does not count "
    "toward the number of winners (Art. 25).",
    "Won the award before, in cycles %(cycles)s: if it wins again, it receives no prize money and does not count "
    "toward the number of winners (Art. 25).",
    "count",
)


def _barred(award_cycles: tuple[int, ...], cycle_number: int) -> Finding:
    recent = set(award_cycles) & set(previous_cycles(cycle_number, BARRED_CYCLES))
    if recent:
        latest = max(recent)
        message = _format(BARRED_FAILS, cycle=latest, first_cycle=latest + BARRED_CYCLES + 1)
        return _finding(Code.BARRED, Outcome.FAIL, message)
    return _finding(Code.BARRED, Outcome.PASS, BARRED_PASSES)


def _repeat(award_cycles: tuple[int, ...], cycle_number: int) -> Finding | None:
    earlier = sorted({cycle for cycle in award_cycles if cycle <= cycle_number - BARRED_CYCLES - 1})
    if not earlier:
        return None
    return _finding(Code.REPEAT, Outcome.PASS, _format(REPEAT_WINNER, cycles=_join(earlier), count=len(earlier)))


# --- the check ---


def check(
    *,
    organisation: OrganisationFacts,
    dossier: DossierFacts,
    history: History,
    cycle_number: int,
    deadline: date,
) -> list[Finding]:
    """Every eligibility rule applied to one application for cycle `cycle_number`, measured at `deadline`.

    Returns one finding per rule, in the order of the articles; "25-repeat" appears only for an earlier winner.
    """
    if isinstance(deadline, datetime) or not isinstance(deadline, date):
        raise TypeError(f"the deadline is a date (rules.md C1), not {type(deadline).__name__}")
    years = previous_financial_years(deadline, DATA_YEARS)
    results = {result.year: result for result in dossier.results}

    findings = [
        _organisation(organisation),
        _registration(organisation.registered_in_luohe_since, deadline),
        _excellence_model(dossier.excellence_model_since, deadline),
        _self_assessment(dossier.self_assessment_report_attached),
        _three_years(results, years, for_profit=organisation.for_profit),
    ]
    if organisation.for_profit:
        findings += [_no_loss(results, years), _top_five(dossier.top_five_claim, years[0])]
    else:
        findings.append(_social_contribution(dossier.social_contribution))
    for article in DECLARATION_ARTICLES:
        findings.append(_declaration(article, dossier.declarations))
        if article in INCIDENT_ARTICLES:
            findings.append(_incidents(article, dossier.incidents, deadline))
        if article == "9(5)":
            findings.append(_fraud(history.fraud_found_in_cycles, cycle_number))
    findings += [_completeness(dossier.missing_sections), _barred(history.awards_won_in_cycles, cycle_number)]
    repeat = _repeat(history.awards_won_in_cycles, cycle_number)
    if repeat is not None:
        findings.append(repeat)
    return findings


def summary(findings: Iterable[Finding]) -> Outcome:
    """FAIL if any finding fails, else JUDGEMENT if any needs the secretariat, else PASS."""
    outcomes = {finding.outcome for finding in findings}
    if Outcome.FAIL in outcomes:
        return Outcome.FAIL
    if Outcome.JUDGEMENT in outcomes:
        return Outcome.JUDGEMENT
    return Outcome.PASS


def failed_articles(findings: Iterable[Finding]) -> list[str]:
    """The articles the application fails, each once, in the order of the findings (for an ineligible dossier)."""
    return list(dict.fromkeys(finding.article for finding in findings if finding.outcome == Outcome.FAIL))


DECIDED_CONFIRMED = _("%(finding)s The secretariat confirmed it.")
DECIDED_REJECTED = _("%(finding)s The secretariat rejected it.")


def decide(findings: Iterable[Finding], decisions: Mapping[str, bool]) -> list[Finding]:
    """The findings with the secretariat's decisions applied: True passes a JUDGEMENT finding, False fails it.

    `decisions` is keyed by finding code. Only findings that need judgement can be decided; a decision for any
    other code is an error, because the software's passes and failures are the regulation's, not a choice.
    """
    findings = list(findings)
    open_codes = {finding.code for finding in findings if finding.outcome == Outcome.JUDGEMENT}
    stray = set(decisions) - open_codes
    if stray:
        raise ValueError(f"only findings that need judgement can be decided, not {sorted(stray)}")
    decided = []
    for finding in findings:
        if finding.code in decisions:
            confirmed = decisions[finding.code]
            template = DECIDED_CONFIRMED if confirmed else DECIDED_REJECTED
            finding = replace(
                finding,
                outcome=Outcome.PASS if confirmed else Outcome.FAIL,
                message=_format(template, finding=finding.message),
            )
        decided.append(finding)
    return decided
