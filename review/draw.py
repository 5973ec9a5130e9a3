"""The random draw of a review panel (专项评审组) from the expert pool (Art. 6, 7), as pure functions over plain data.

No models and no database: the caller turns the expert pool into `Candidate`s and the panel to fill into a
`PanelRequest`, draws a seed with `new_seed()`, and gets back a `DrawResult`: the members and a ranked list of
alternates. The seed, the candidates and the result are stored, so that anyone (a supervisor, the committee, an
applicant's complaint) can run `verify()` afterwards and see that the draw was not chosen.

Who may be drawn (`eligible`, `exclusions`). A candidate is excluded, for the first of these reasons that applies:

1. "inactive": no longer active in the pool;
2. "committee": a member of the review committee (评委会), who decides on the panels' reports and so never sits on one;
3. "no-expertise": none of the candidate's industries (GB/T 4754-2017 sections) is one of the panel's (Art. 6);
4. "conflict": a declared conflict with any organisation whose dossier the panel reviews;
5. "already-seated": already on another panel of the cycle, when the cycle allows one panel per expert
   (`PanelRequest.one_panel_per_cycle`, a setting of the cycle).

The size. A panel has at least the cycle's minimum of experts, and that minimum is never below five (Art. 7:
五名以上, five included, four refused). Fewer qualifying candidates than the panel's size is a `DrawError` that names
the group, how many are needed and how many qualify, and carries the count of exclusions per reason. Alternates
are best effort: a pool that fills the panel but not every alternate place gives fewer alternates.

The recipe (version `RECIPE_VERSION`), which anyone can recompute with Python's standard library:

1. `ids`: the eligible candidates' expert ids, sorted ascending (the canonical order, `DrawResult.candidate_ids`);
2. `material = json.dumps([seed, ids], separators=(",", ":"))`, e.g. `'["3f2a…",[3,7,12]]'`, encoded as UTF-8;
3. `number = int(hashlib.sha256(material).hexdigest(), 16)`;
4. `ranking = list(ids)`, then `random.Random(number).shuffle(ranking)`;
5. members are `ranking[:size]`, alternates the next `alternates` ids, in that order (rank 1 first).

The ranking depends only on the seed and the eligible pool, never on the size: the members and alternates are one
prefix of it. `random.Random(int)` and `shuffle` are CPython's Mersenne Twister and Fisher-Yates; the tests pin one
known ranking so that a change of either in a future Python shows up as a failing test, not as a silent change of
old draws.
"""

import hashlib
import json
import random
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.enums import IndustrySection
from mayor_award.core.lazytext import format_lazy as _format
from mayor_award.core.lifecycle import MIN_PANEL_SIZE

RECIPE_VERSION = 1
DEFAULT_ALTERNATES = 5
SEED_BYTES = 16

INDUSTRY_SECTIONS = frozenset(IndustrySection.values)


class Reason(StrEnum):
    """Why a candidate cannot be drawn, in the order the reasons are checked."""

    INACTIVE = "inactive"
    COMMITTEE = "committee"
    NO_EXPERTISE = "no-expertise"
    CONFLICT = "conflict"
    ALREADY_SEATED = "already-seated"

    @property
    def label(self) -> Promise:
        return REASON_LABELS[self]


REASON_LABELS: dict[Reason, Promise] = {
    Reason.INACTIVE: pgettext_lazy("draw exclusion", "No longer active in the expert pool"),
    Reason.COMMITTEE: pgettext_lazy("draw exclusion", "Member of the review committee"),
    Reason.NO_EXPERTISE: pgettext_lazy("draw exclusion", "No expertise in the panel's industries (Art. 6)"),
    Reason.CONFLICT: pgettext_lazy("draw exclusion", "Conflict of interest with an applicant of the panel"),
    Reason.ALREADY_SEATED: pgettext_lazy("draw exclusion", "Already sits on a panel of this cycle"),
}


# --- inputs ---


def _industries(value: Iterable[str], owner: str) -> frozenset[str]:
    if isinstance(value, str):
        raise TypeError(f"{owner}: industries are a set of GB/T 4754-2017 section letters, not the string {value!r}")
    industries = frozenset(value)
    unknown = industries - INDUSTRY_SECTIONS
    if unknown:
        raise ValueError(f"{owner}: unknown GB/T 4754-2017 sections {sorted(unknown)}; they are A to T")
    return industries


@dataclass(frozen=True)
class Candidate:
    """An expert of the pool, as the draw sees them.

    `industries`: the GB/T 4754-2017 sections of the expert's expertise; `conflicted_organisation_ids`: the
    organisations the expert has declared (or been found) in conflict with; `seated_in_cycle`: already sits on
    another panel of the same cycle.
    """

    expert_id: int
    name: str
    industries: frozenset[str]
    active: bool = True
    is_committee_member: bool = False
    conflicted_organisation_ids: frozenset[int] = frozenset()
    seated_in_cycle: bool = False

    def __post_init__(self):
        object.__setattr__(self, "industries", _industries(self.industries, f"expert {self.expert_id}"))
        object.__setattr__(self, "conflicted_organisation_ids", frozenset(self.conflicted_organisation_ids))


@dataclass(frozen=True)
class PanelRequest:
    """The panel to fill.

    `group`: the panel's label for messages (e.g. "制造业（C）"); `industries`: the GB/T 4754-2017 sections it
    reviews (at least one, Art. 6); `dossier_organisation_ids`: the organisations whose dossiers it reviews;
    `size`: how many members to draw; `minimum_size`: the cycle's minimum (never below five, Art. 7);
    `one_panel_per_cycle`: the cycle's setting that an expert sits on at most one panel; `alternates`: how many
    ranked alternates to draw after the members.
    """

    group: str
    industries: frozenset[str]
    dossier_organisation_ids: frozenset[int]
    size: int
    minimum_size: int = MIN_PANEL_SIZE
    one_panel_per_cycle: bool = True
    alternates: int = DEFAULT_ALTERNATES

    def __post_init__(self):
        industries = _industries(self.industries, f"panel {self.group}")
        if not industries:
            raise ValueError(f"panel {self.group}: a panel reviews at least one industry (Art. 6)")
        object.__setattr__(self, "industries", industries)
        object.__setattr__(self, "dossier_organisation_ids", frozenset(self.dossier_organisation_ids))
        if self.alternates < 0:
            raise ValueError(f"panel {self.group}: the number of alternates cannot be negative, not {self.alternates}")


# --- the result and the refusal ---


@dataclass(frozen=True)
class DrawResult:
    """What a draw gives, and what is stored with the seed and the candidates so the draw can be checked.

    `members` and `alternates` are in rank order (the first alternate is called first); `candidate_ids` is the
    eligible pool in canonical (ascending) order; `excluded` maps every other candidate's id to its `Reason`.
    """

    members: tuple[int, ...]
    alternates: tuple[int, ...]
    seed: str
    candidate_ids: tuple[int, ...]
    excluded: dict[int, str] = field(default_factory=dict)

    def to_record(self) -> dict:
        """A JSON-ready form (for a JSONField): `excluded` becomes a list of `[expert_id, reason]` pairs."""
        return {
            "recipe": RECIPE_VERSION,
            "seed": self.seed,
            "candidate_ids": list(self.candidate_ids),
            "members": list(self.members),
            "alternates": list(self.alternates),
            "excluded": [[expert_id, str(reason)] for expert_id, reason in sorted(self.excluded.items())],
        }

    @classmethod
    def from_record(cls, record: Mapping) -> "DrawResult":
        """The result `to_record` stored (after a round trip through JSON)."""
        if record.get("recipe") != RECIPE_VERSION:
            raise ValueError(f"this module draws with recipe {RECIPE_VERSION}, not {record.get('recipe')!r}")
        return cls(
            members=tuple(int(i) for i in record["members"]),
            alternates=tuple(int(i) for i in record["alternates"]),
            seed=str(record["seed"]),
            candidate_ids=tuple(int(i) for i in record["candidate_ids"]),
            excluded={int(expert_id): Reason(reason) for expert_id, reason in record["excluded"]},
        )


MINIMUM_TOO_SMALL = _("A panel has at least five experts (Art. 7).")
SIZE_TOO_SMALL = _("A panel has at least %(minimum)s experts (Art. 7); %(size)s is not enough.")
SHORTAGE = _("%(group)s: %(needed)s experts are needed, only %(available)s qualify.")


class DrawError(Exception):
    """The draw is refused. `message` is a lazy string that cites the rule; `code` is stable.

    Codes: "minimum-size" (the cycle's minimum is below five), "size" (the panel is below the minimum),
    "shortage" (too few candidates qualify). For a shortage, `needed`, `available` and `excluded_counts` (how many
    candidates each `Reason` excluded, every reason listed, in the order of `Reason`) tell the secretariat what to
    change: recruit experts, widen the industries or relax the one-panel setting.
    """

    def __init__(
        self,
        code: str,
        message: Promise,
        *,
        needed: int | None = None,
        available: int | None = None,
        excluded_counts: Mapping[str, int] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.needed = needed
        self.available = available
        self.excluded_counts: dict[str, int] = dict(excluded_counts or {})

    def __str__(self) -> str:
        return str(self.message)


# --- who may be drawn ---


def _reason(candidate: Candidate, request: PanelRequest) -> Reason | None:
    if not candidate.active:
        return Reason.INACTIVE
    if candidate.is_committee_member:
        return Reason.COMMITTEE
    if not candidate.industries & request.industries:
        return Reason.NO_EXPERTISE
    if candidate.conflicted_organisation_ids & request.dossier_organisation_ids:
        return Reason.CONFLICT
    if request.one_panel_per_cycle and candidate.seated_in_cycle:
        return Reason.ALREADY_SEATED
    return None


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    candidates = list(candidates)
    counts = Counter(candidate.expert_id for candidate in candidates)
    duplicates = sorted(expert_id for expert_id, count in counts.items() if count > 1)
    if duplicates:
        raise ValueError(f"each expert is a candidate once; repeated ids {duplicates}")
    return candidates


def exclusions(candidates: Iterable[Candidate], request: PanelRequest) -> dict[int, Reason]:
    """Each excluded candidate's id and the first `Reason` that excludes them, by ascending id."""
    reasons = {candidate.expert_id: _reason(candidate, request) for candidate in _unique(candidates)}
    return {expert_id: reason for expert_id, reason in sorted(reasons.items()) if reason is not None}


def eligible(candidates: Iterable[Candidate], request: PanelRequest) -> list[Candidate]:
    """The candidates who may be drawn for the panel, in canonical order (ascending expert id)."""
    qualifying = [candidate for candidate in _unique(candidates) if _reason(candidate, request) is None]
    return sorted(qualifying, key=lambda candidate: candidate.expert_id)


# --- the draw ---


def new_seed() -> str:
    """A fresh seed from the operating system's secure source: 32 hexadecimal characters."""
    return secrets.token_hex(SEED_BYTES)


def seed_material(seed: str, candidate_ids: Iterable[int]) -> bytes:
    """Step 2 of the recipe: the canonical bytes hashed to seed the generator."""
    return json.dumps([seed, sorted(candidate_ids)], separators=(",", ":")).encode("utf-8")


def ranking(seed: str, candidate_ids: Iterable[int]) -> list[int]:
    """Steps 1-4 of the recipe: every eligible id, in the order the seed draws them."""
    ids = sorted(candidate_ids)
    number = int(hashlib.sha256(seed_material(seed, ids)).hexdigest(), 16)
    random.Random(number).shuffle(ids)  # noqa: S311 - reproducibility is the point; the seed comes from `secrets`
    return ids


def _check_size(request: PanelRequest) -> None:
    if request.minimum_size < MIN_PANEL_SIZE:
        raise DrawError("minimum-size", MINIMUM_TOO_SMALL)
    if request.size < request.minimum_size:
        raise DrawError("size", _format(SIZE_TOO_SMALL, minimum=request.minimum_size, size=request.size))


def draw(candidates: Iterable[Candidate], request: PanelRequest, seed: str) -> DrawResult:
    """Draw the panel's members and ranked alternates from `candidates` with `seed` (see the recipe above).

    Raises `DrawError` when the size is below the minimum (Art. 7) or too few candidates qualify.
    """
    if not isinstance(seed, str) or not seed:
        raise ValueError("the seed is a non-empty string (use new_seed())")
    _check_size(request)
    candidates = _unique(candidates)
    excluded = exclusions(candidates, request)
    pool = tuple(candidate.expert_id for candidate in eligible(candidates, request))
    if len(pool) < request.size:
        counts = Counter(excluded.values())
        raise DrawError(
            "shortage",
            _format(SHORTAGE, group=request.group, needed=request.size, available=len(pool)),
            needed=request.size,
            available=len(pool),
            excluded_counts={str(reason): counts.get(reason, 0) for reason in Reason},
        )
    ranked = ranking(seed, pool)
    return DrawResult(
        members=tuple(ranked[: request.size]),
        alternates=tuple(ranked[request.size : request.size + request.alternates]),
        seed=seed,
        candidate_ids=pool,
        excluded=excluded,
    )


def verify(candidates: Iterable[Candidate], request: PanelRequest, seed: str, result: DrawResult) -> bool:
    """True when drawing again from the same candidates, request and seed gives exactly `result`.

    What a supervisor runs on the stored seed, candidates and result. A draw that would be refused is never honest.
    """
    try:
        return draw(candidates, request, seed) == result
    except DrawError:
        return False


def replacement(result: DrawResult, declined_expert_id: int, unavailable: Iterable[int] = ()) -> int | None:
    """The alternate to call when `declined_expert_id` declines: the first in rank order not `unavailable`.

    `unavailable` holds every id that cannot be called: those who declined before, those found in conflict after
    declaring, and the alternates already called. None when the alternates are exhausted (draw again).
    """
    if declined_expert_id not in result.members and declined_expert_id not in result.alternates:
        raise ValueError(f"expert {declined_expert_id} was not drawn in this result")
    skipped = {declined_expert_id, *unavailable}
    return next((expert_id for expert_id in result.alternates if expert_id not in skipped), None)
