"""Build a provincial-scale cycle quickly (省级规模评审周期), for benchmarks and page checks.

    manage.py build_province [--dossiers 1000] [--industries 15] [--experts 300] [--panel-size 7] [--committee 15]
                             [--until material_review|deliberation|announced] [--tag prov]

Each build makes a new cycle (the next free number) with its own users and organisations, all prefixed by the tag;
every password is Luohe-Award-2026. The layers build their parts in bulk (applications/province.py,
review/province.py, committee/province.py); the cycle moves through its phases with the core's cycle_advance, so the
guards of every phase check the built data. The build runs on a clock set about five months back, so that each
phase happens on its own days and the publicity is over by now. A line per stage says what was written and how
long it took; the last line is `BUILD {json}` with the sample users and ids a benchmark needs.
"""

import datetime as dt
import json
import os
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone

from applications import province as applications_province
from applications.models import Dossier, Organisation
from committee import province as committee_province
from committee.models import Award, BallotReceipt, Certificate, VoteCount
from mayor_award.core.demo import DEMO_PASSWORD
from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState, Role
from mayor_award.core.models import Criteria, Cycle, Notice, User
from review import province as review_province
from review.enums import ReviewStage
from review.models import ItemScore, ScoreSheet

UNTIL = ("material_review", "deliberation", "announced")
DAYS_BACK = 150


class BuildClock:
    """`django.utils.timezone.now` answers a moment in the past that runs on with the real clock and moves forward
    when told: the build's records carry the days of their phases."""

    def __init__(self, start):
        self._real_now = timezone.now
        self._offset = start - self._real_now()

    def now(self):
        return self._real_now() + self._offset

    def travel(self, days: float):
        self._offset += dt.timedelta(days=days)

    def today(self) -> dt.date:
        return timezone.localtime(self.now()).date()

    @contextmanager
    def running(self):
        timezone.now = self.now
        try:
            yield self
        finally:
            timezone.now = self._real_now


def cpu_seconds() -> dict:
    """Processor seconds used so far by this process and, for a local PostgreSQL, by its server process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {"command": usage.ru_utime + usage.ru_stime, "database": 0.0}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            figures["database"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):  # a server on another machine: not measured
            pass
    return figures


def relax_commit():
    """A build's transaction does not wait for its log to reach the disk at commit (PostgreSQL): after a crash the
    last stage would be lost, never half-written, and the build is simply run again."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


class Command(BaseCommand):
    help = "Build a provincial-scale award cycle in bulk (new cycle, users prefixed by --tag)."

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, default=1000)
        parser.add_argument("--industries", type=int, default=15)
        parser.add_argument("--experts", type=int, default=300)
        parser.add_argument("--panel-size", type=int, default=7)
        parser.add_argument("--committee", type=int, default=15)
        parser.add_argument("--until", choices=UNTIL, default="announced")
        parser.add_argument("--tag", default="prov")

    def handle(self, *args, **options):
        if options["panel_size"] < 5:
            raise CommandError("A panel has at least five experts (Art. 7).")
        if options["committee"] < 3:
            raise CommandError("The committee needs a director, two deputies at least.")
        if User.objects.filter(username=f"{options['tag']}-secretariat").exists():
            raise CommandError(f"The tag {options['tag']!r} is already used in this database; choose another.")
        self.started = time.monotonic()
        self.stage_started = self.started
        cpu_before = cpu_seconds()
        clock = BuildClock(timezone.now() - dt.timedelta(days=DAYS_BACK))
        # Mail of the services (receipts, letters) goes nowhere: a build informs nobody.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), clock.running():
            summary = Build(self, options, clock).run()
        summary["seconds"] = round(time.monotonic() - self.started, 2)
        # What the build cost in processor time (this process, and the database server's process serving it when
        # it runs on this machine): on a busy machine the wall-clock seconds say more about the neighbours.
        summary["cpu_seconds"] = {key: round(value - cpu_before[key], 2) for key, value in cpu_seconds().items()}
        self.stdout.write("BUILD " + json.dumps(summary, ensure_ascii=False))
        self.stdout.flush()

    def stage(self, name: str, **counts):
        """One line per stage: its name, what it wrote, its seconds and the seconds so far (flushed at once)."""
        now = time.monotonic()
        figures = " ".join(f"{key}={value}" for key, value in counts.items())
        self.stdout.write(
            f"[{now - self.started:7.2f}s] {name:<22} {now - self.stage_started:6.2f}s  {figures}".rstrip()
        )
        self.stdout.flush()
        sys.stdout.flush()
        self.stage_started = now


class Build:
    def __init__(self, command, options, clock):
        self.command = command
        self.options = options
        self.clock = clock
        self.tag = options["tag"]
        self.until = options["until"]
        self.samples = {}

    def run(self) -> dict:
        stages = [self.make_cycle, self.make_applicants, self.make_experts, self.make_panels, self.material_sheets]
        if self.until != "material_review":
            stages += [self.material_consensus, self.onsite_selection, self.onsite_sheets, self.onsite_consensus]
            stages += [self.deliberation]
        if self.until == "announced":
            stages += [self.decision, self.announcement]
        for stage in stages:
            # One transaction per stage; its line is printed once it has committed, so that the seconds include
            # the commit (PostgreSQL checks the deferred foreign keys of every row written then).
            with transaction.atomic():
                relax_commit()
                stage()
        return self.summary()

    def report(self, name: str, **counts):
        transaction.on_commit(lambda: self.command.stage(name, **counts))

    # --- stages ---

    def make_cycle(self):
        last = Cycle.objects.aggregate(number=Max("number"), year=Max("year"))
        number = (last["number"] or 0) + 1
        start = self.clock.now()
        self.password_hash = make_password(DEMO_PASSWORD)
        (self.secretariat,) = applications_province.bulk_users(
            usernames=[f"{self.tag}-secretariat"],
            names=["省级规模秘书处"],
            role=Role.SECRETARIAT,
            password_hash=self.password_hash,
            staff=True,
        )
        dossiers = self.options["dossiers"]
        self.cycle = Cycle.objects.create(
            number=number,
            year=max((last["year"] or 2017) + 2, 2019),
            title=f"{self.tag} 第{number}届漯河市市长质量奖（省级规模）",
            phase=CyclePhase.ELIGIBILITY,
            phase_changed_at=start,
            applications_open_on=(start - dt.timedelta(days=60)).date(),
            application_deadline=start - dt.timedelta(days=1),
            award_quota=max(2, min(10, dossiers // 100)),
            one_panel_per_expert=False,  # a province's pool is smaller than its panels' seats
            criteria=Criteria.objects.latest_published(),
        )
        Notice.objects.create(
            cycle=self.cycle,
            kind=NoticeKind.CYCLE_ANNOUNCEMENT,
            title=f"关于开展{self.cycle.title}评审工作的公告",
            body="根据《漯河市市长质量奖管理办法》，现启动评审工作。",
            state=NoticeState.PUBLISHED,
            publish_at=start - dt.timedelta(days=70),
            published_at=start - dt.timedelta(days=70),
            created_by=self.secretariat,
        )
        self.report("cycle", cycle=self.cycle.pk, number=number)

    def make_applicants(self):
        industries = applications_province.industry_sections(self.options["industries"])
        self.applicants = applications_province.build_applicants(
            cycle=self.cycle,
            tag=self.tag,
            count=self.options["dossiers"],
            industries=industries,
            password_hash=self.password_hash,
            secretariat=self.secretariat,
            code_base=self.cycle.number * 1_000_000,
        )
        self.industries = industries
        self.report(
            "applicants",
            organisations=len(self.applicants.organisations),
            dossiers=len(self.applicants.dossiers),
            sections=self.applicants.sections,
            attachments=self.applicants.attachments,
        )

    def make_experts(self):
        experts, users = review_province.build_experts(
            tag=self.tag, count=self.options["experts"], industries=self.industries, password_hash=self.password_hash
        )
        self.review = review_province.Review(
            cycle=self.cycle,
            items=review_province.consensus_rules.criteria_items(self.cycle),
            experts=experts,
            users=users,
        )
        conflicts = review_province.build_conflicts(
            review=self.review, organisations=self.applicants.organisations, secretariat=self.secretariat
        )
        self.report("experts", experts=len(experts), conflicts=conflicts)

    def make_panels(self):
        self.clock.travel(3)
        conflicts = {}
        for row in review_province.Conflict.objects.filter(expert__in=self.review.experts).values_list(
            "expert_id", "organisation_id"
        ):
            conflicts.setdefault(row[0], set()).add(row[1])
        review_province.build_panels(
            review=self.review,
            dossiers=self.applicants.dossiers,
            panel_size=self.options["panel_size"],
            secretariat=self.secretariat,
            conflicts_by_expert=conflicts,
        )
        review_province.dossier_levels(self.review, seed=self.cycle.number, leaders=2 * self.cycle.award_quota + 2)
        self.clock.travel(2)
        self.cycle = committee_province.advance(self.cycle, CyclePhase.MATERIAL_REVIEW, self.secretariat)
        self.report(
            "panels",
            panels=len(self.review.plans),
            seats=len(self.review.seats),
            pledges=len({seat.expert_id for seat in self.review.seats}),
        )

    def material_sheets(self):
        self.clock.travel(10)
        submit = self.until != "material_review"
        sheets, items = review_province.build_sheets(review=self.review, stage=ReviewStage.MATERIAL, submit=submit)
        self.report("material sheets", sheets=sheets, item_scores=items, submitted=submit)

    def material_consensus(self):
        self.clock.travel(5)
        heads, agreed = review_province.build_consensus(review=self.review, stage=ReviewStage.MATERIAL)
        self.report("material consensus", consensus=heads, agreed_items=agreed)

    def onsite_selection(self):
        self.clock.travel(1)
        self.selected = review_province.build_selection(review=self.review, secretariat=self.secretariat)
        visits = review_province.build_visits(
            review=self.review, selected=self.selected, first_day=self.clock.today() + dt.timedelta(days=5)
        )
        self.clock.travel(1)
        self.cycle = committee_province.advance(self.cycle, CyclePhase.ONSITE_REVIEW, self.secretariat)
        self.report("on-site selection", selected=len(self.selected), visits=visits)

    def onsite_sheets(self):
        self.clock.travel(30)
        sheets, items = review_province.build_sheets(
            review=self.review, stage=ReviewStage.ONSITE, submit=True, dossier_ids=self.selected
        )
        self.report("on-site sheets", sheets=sheets, item_scores=items)

    def onsite_consensus(self):
        self.clock.travel(1)
        heads, agreed = review_province.build_consensus(review=self.review, stage=ReviewStage.ONSITE)
        candidates = review_province.build_handover(review=self.review)
        self.clock.travel(2)
        self.cycle = committee_province.advance(self.cycle, CyclePhase.DELIBERATION, self.secretariat)
        self.report("on-site consensus", consensus=heads, agreed_items=agreed, candidates=candidates)

    def deliberation(self):
        self.clock.travel(2)
        self.members = committee_province.build_committee(
            cycle=self.cycle, tag=self.tag, count=self.options["committee"], password_hash=self.password_hash
        )
        absent = committee_province.non_voters(len(self.members)) if self.until == "deliberation" else 0
        self.clock.travel(1)
        self.session = committee_province.build_vote(
            cycle=self.cycle, members=self.members, secretariat=self.secretariat, absent=absent
        )
        self.absent = absent
        self.report(
            "committee vote",
            members=len(self.members),
            ballots=BallotReceipt.objects.filter(session=self.session).count(),
            counters=VoteCount.objects.filter(session=self.session).count(),
        )

    def decision(self):
        self.clock.travel(0.1)
        proposed_list = committee_province.build_decision(session=self.session, secretariat=self.secretariat)
        self.clock.travel(2)
        self.cycle = committee_province.advance(self.cycle, CyclePhase.APPROVAL, self.secretariat)
        self.clock.travel(5)
        committee_province.build_approval(cycle=self.cycle, proposed_list=proposed_list, secretariat=self.secretariat)
        self.clock.travel(1)
        self.cycle = committee_province.advance(self.cycle, CyclePhase.PUBLICITY, self.secretariat)
        self.publicity = committee_province.build_publicity(
            cycle=self.cycle, secretariat=self.secretariat, clock=self.clock
        )
        self.report(
            "ranking and publicity",
            proposed=proposed_list.entries.filter(proposed=True).count(),
            ranked=proposed_list.entries.count(),
            ties_decided=proposed_list.ties_decided,
        )

    def announcement(self):
        self.clock.travel(self.cycle.publicity_min_days + 3)
        committee_province.build_announcement(
            cycle=self.cycle, publicity=self.publicity, secretariat=self.secretariat, clock=self.clock
        )
        self.cycle = committee_province.advance(self.cycle, CyclePhase.ANNOUNCED, self.secretariat)
        certificates = committee_province.build_awards(cycle=self.cycle, secretariat=self.secretariat)
        self.report(
            "announcement",
            awards=Award.objects.filter(cycle=self.cycle).count(),
            certificates=sum(1 for c in certificates if c.pdf),
        )

    # --- the summary line ---

    def summary(self) -> dict:
        plan = self.review.plans[0]
        leader = self.review.users[plan.leader.expert_id]
        stage = ReviewStage.MATERIAL if self.until == "material_review" else ReviewStage.ONSITE
        sheet = (
            ScoreSheet.objects.filter(seat=plan.leader, stage=stage, dossier__in=plan.dossiers)
            .order_by("dossier__sequence")
            .first()
        )
        samples = {
            "secretariat": self.secretariat.username,
            "applicant": self.applicants.users[0].username,
            "dossier_id": self.applicants.dossiers[0].pk,
            "expert": leader.username,
            "panel_id": plan.panel.pk,
            "sheet_id": sheet.pk if sheet else None,
            "sheet_dossier_id": sheet.dossier_id if sheet else None,
            "sheet_stage": stage.value,
            "committee_not_voted": None,
            "committee_voted": None,
            "certificate_serial": None,
            "password": DEMO_PASSWORD,
        }
        if self.until != "material_review":
            voted = set(BallotReceipt.objects.filter(session=self.session).values_list("member_id", flat=True))
            for member in self.members:
                key = "committee_voted" if member.pk in voted else "committee_not_voted"
                samples[key] = samples[key] or member.user.username
        if self.until == "announced":
            certificate = Certificate.objects.filter(award__cycle=self.cycle).order_by("award__number").first()
            samples["certificate_serial"] = certificate.serial if certificate else None
        return {
            "cycle_id": self.cycle.pk,
            "cycle_number": self.cycle.number,
            "phase": self.cycle.phase,
            "tag": self.tag,
            "until": self.until,
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "samples": samples,
            "counts": self.counts(),
        }

    def counts(self) -> dict:
        cycle = self.cycle
        sheets = ScoreSheet.objects.filter(dossier__cycle=cycle)
        return {
            "organisations": Organisation.objects.filter(dossiers__cycle=cycle).count(),
            "dossiers": Dossier.objects.filter(cycle=cycle).count(),
            "experts": len(self.review.experts),
            "panels": len(self.review.plans),
            "seats": len(self.review.seats),
            "sheets_material": sheets.filter(stage=ReviewStage.MATERIAL).count(),
            "sheets_onsite": sheets.filter(stage=ReviewStage.ONSITE).count(),
            "item_scores_material": ItemScore.objects.filter(
                sheet__dossier__cycle=cycle, sheet__stage=ReviewStage.MATERIAL
            ).count(),
            "item_scores_onsite": ItemScore.objects.filter(
                sheet__dossier__cycle=cycle, sheet__stage=ReviewStage.ONSITE
            ).count(),
            "candidates": review_province.Candidate.objects.filter(panel__cycle=cycle).count(),
            "committee": cycle.committee_members.count(),
            "ballots": BallotReceipt.objects.filter(session__cycle=cycle).count(),
            "awards": Award.objects.filter(cycle=cycle).count(),
            "certificates": Certificate.objects.filter(award__cycle=cycle).exclude(pdf="").count(),
        }
