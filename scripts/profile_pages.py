"""Profile the key pages in one process (prints figures; not a test): cost × a plain request, and query counts.

Each page is requested N times through django.test.Client, interleaved with N requests of a plain view
(`HttpResponse("ok")`, mounted beside the project's URLs) through the same client and middleware stack, in three
rounds; a page's "cost ×" is the median of its time per request over the plain view's in the same round (the
issue 9 figure, measured in-process rather than through gunicorn and wrk: no HTTP parsing nor socket in either,
so these ratios come out somewhat higher than wrk's). Its query count is taken from one more request. "cpu_x" is
the same ratio in this process's CPU time: steadier on a busy machine, but without the database server's share.

The settings are production's (DEBUG off: no query log, no template debug), with plain static storage (no
manifest needed) and no HTTPS redirect. The data is a world built here with the test factories, in a test
database made for the run (`test_<name>` of DATABASE_URL, or an in-memory SQLite database by default) and
dropped after it:

- cycle A in material review: the profiled expert leads a panel of 7 with `--rows` dossiers, the other six
  submitted every sheet; the expert's own sheet of the first dossier is a draft, half scored;
- cycle B in deliberation: a committee of 15, an open vote on `--rows` candidates with their consensus;
- cycle C announced: `--rows` awards with certificates; one organisation applied in all three cycles.

Run it at two sizes to see whether a page's query count is flat in its rows:

    .venv/bin/python scripts/profile_pages.py --rows 5 --requests 50
    .venv/bin/python scripts/profile_pages.py --rows 100 --requests 50
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mayor_award_h7 .venv/bin/python scripts/profile_pages.py
    .venv/bin/python scripts/profile_pages.py --pages score,autosave --profile score   # cProfile of one page

`--pages` picks pages by name (see PAGES); `--profile NAME[,NAME]` prints the functions where those pages spend
their time (cProfile, cumulative and own time); `--sql NAME` prints a page's queries. Building the world takes
one to several minutes (factories, not bulk inserts); `manage.py build_province` data is not used here.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROFILE_ENV = {
    "DJANGO_SETTINGS_MODULE": "mayor_award.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "profile-pages-not-a-secret-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SESSION_COOKIE_SECURE": "false",
    "DJANGO_CSRF_COOKIE_SECURE": "false",
    "DJANGO_LOG_LEVEL": "WARNING",
}

# name: (who asks, method, address builder taking the world); the plain view is measured with every page.
PAGES = {
    "plain-login": ("expert", "GET", lambda w: "/__plain_login__/"),
    "home": (None, "GET", lambda w: "/"),
    "winners": (None, "GET", lambda w: "/winners/"),
    "verify": (None, "GET", lambda w: f"/verify/{w['serial']}/"),
    "applicant-dashboard": ("applicant", "GET", lambda w: "/portal/"),
    "expert-dashboard": ("expert", "GET", lambda w: "/review/"),
    "score": ("expert", "GET", lambda w: f"/review/dossiers/{w['dossier']}/score/material/"),
    "autosave": ("expert", "POST", lambda w: f"/review/dossiers/{w['dossier']}/score/material/items/{w['code']}/"),
    "panel-scores": ("leader_done", "GET", lambda w: f"/review/dossiers/{w['dossier']}/panel-scores/material/"),
    "leader-panel": ("expert", "GET", lambda w: f"/review/panels/{w['panel']}/"),
    "review-dashboard": ("secretariat", "GET", lambda w: f"/admin/review/dashboard/{w['cycle_a']}/"),
    "admin-dossiers": ("secretariat", "GET", lambda w: "/admin/applications/dossier/"),
    "committee-candidates": ("member", "GET", lambda w: "/committee/"),
    "ballot": ("member", "GET", lambda w: "/committee/ballot/"),
}


def configure(database_url: str | None):
    os.environ.update(PROFILE_ENV)
    os.environ["PRIVATE_FILES_ROOT"] = tempfile.mkdtemp(prefix="profile-pages-")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    from django.conf import settings

    django.setup()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ROOT_URLCONF = _profile_urlconf()


def _profile_urlconf() -> str:
    """The project's URLs plus the plain view, anonymous and behind login (it reads request.user)."""
    from django.contrib.auth.decorators import login_not_required
    from django.http import HttpResponse
    from django.urls import include, path

    def plain(request):
        return HttpResponse("ok")

    def plain_login(request):
        return HttpResponse(f"ok {request.user.pk}")

    module = types.ModuleType("profile_pages_urls")
    module.urlpatterns = [
        path("__plain__/", login_not_required(plain)),
        path("__plain_login__/", plain_login),
        path("", include("mayor_award.urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


# --- the world ---


def build_world(rows: int) -> dict:
    from django.db import transaction

    from applications.enums import DossierState
    from committee import services_voting
    from committee.models import VotingSession
    from mayor_award.core.enums import Role
    from mayor_award.core.models import CriteriaItem
    from review.enums import ReviewStage
    from review.models import ItemScore, ScoreSheet
    from tests.factories.applications import DossierFactory, MembershipFactory, OrganisationFactory
    from tests.factories.committee import CandidateFactory, CommitteeMemberFactory, OnsiteConsensusFactory
    from tests.factories.committee_awards import CertificateFactory
    from tests.factories.core import CycleFactory, NoticeFactory, UserFactory
    from tests.factories.review import PanelDossierFactory, PanelFactory, PledgeFactory, SeatFactory
    from tests.factories.review_consensus import submitted_sheet

    with transaction.atomic():
        secretariat = UserFactory(username="prof-secretariat", roles=[Role.SECRETARIAT], is_staff=True)
        cycle_c = CycleFactory(number=1, phase="announced")
        cycle_b = CycleFactory(number=2, phase="deliberation")
        cycle_a = CycleFactory(number=3, phase="material_review")
        NoticeFactory.create_batch(8, cycle=cycle_a, published=True)

        panel = PanelFactory(cycle=cycle_a, size=7)
        assignments = PanelDossierFactory.create_batch(rows, panel=panel)
        seats = [SeatFactory(panel=panel, accepted=True, leader=rank == 1, rank=rank) for rank in range(1, 8)]
        for seat in seats:
            PledgeFactory(expert=seat.expert, cycle=cycle_a)
        for assignment in assignments:
            for seat in seats[1:]:
                submitted_sheet(seat, assignment.dossier, percents=50 + seat.rank * 5)
        first = assignments[0].dossier
        draft = ScoreSheet.objects.create(seat=seats[0], dossier=first, stage=ReviewStage.MATERIAL)
        items = list(CriteriaItem.objects.filter(category__criteria_id=cycle_a.criteria_id).order_by("pk"))
        ItemScore.objects.bulk_create(
            ItemScore(sheet=draft, item=item, percent=60 if i % 2 else None, strengths="方法系统，展开充分。" * 4)
            for i, item in enumerate(items)
        )
        # A colleague on the same panel, whose sheets are all submitted, reads the panel's scores.
        done = seats[1]

        organisation = OrganisationFactory()
        applicant = MembershipFactory(organisation=organisation).user
        for cycle, state in ((cycle_c, DossierState.AWARDED), (cycle_b, DossierState.CANDIDATE)):
            DossierFactory(organisation=organisation, cycle=cycle, submitted=True, state=state)
        PanelDossierFactory(panel=panel, dossier__organisation=organisation)

        director = CommitteeMemberFactory(cycle=cycle_b, office="director")
        members = [director, *CommitteeMemberFactory.create_batch(14, cycle=cycle_b)]
        committee_panel = PanelFactory(cycle=cycle_b)
        for position in range(1, rows + 1):
            candidate = CandidateFactory(panel=committee_panel, position=position)
            OnsiteConsensusFactory(candidate=candidate, report=True)
            OnsiteConsensusFactory(candidate=candidate, stage="material", total=candidate.material_total)
        services_voting.session_open(session=VotingSession.objects.create(cycle=cycle_b), by=secretariat)

        certificates = [CertificateFactory(award__cycle=cycle_c, award__number=number) for number in range(1, rows + 1)]
    return {
        "users": {
            "secretariat": secretariat.username,
            "expert": seats[0].expert.user.username,
            "leader_done": done.expert.user.username,
            "applicant": applicant.username,
            "member": members[1].user.username,
        },
        "dossier": first.pk,
        "panel": panel.pk,
        "cycle_a": cycle_a.pk,
        "code": items[0].code,
        "serial": certificates[0].serial,
    }


# --- the measurement ---


def _client_for(world, who):
    from django.test import Client

    from mayor_award.core.models import User

    client = Client()
    if who is not None:
        client.force_login(User.objects.get(username=world["users"][who]))
    return client


def _requester(client, method, url, world):
    if method == "GET":
        return lambda: client.get(url)
    values = iter(range(10**9))

    def post():
        # Alternate between two percentages, so every autosave writes.
        return client.post(url, {f"p_{world['code']}": str(50 + 10 * (next(values) % 2))})

    return post


def _timed(request, count) -> tuple[float, float]:
    """Seconds per request: wall clock, and this process's CPU time (steady on a shared machine; it leaves out
    the database server's share on PostgreSQL, so compare it with the wall-clock figure there)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        response = request()
    wall, cpu = (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count
    if response.status_code >= 400:
        raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")
    return wall, cpu


def _query_count(request) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        request()
    return len(captured)


def measure(world, names, count, rounds=3) -> list[dict]:
    plain = _requester(_client_for(world, None), "GET", "/__plain__/", world)
    results = []
    for name in names:
        who, method, address = PAGES[name]
        page = _requester(_client_for(world, who), method, address(world), world)
        for _ in range(5):
            page(), plain()
        ratios, cpu_ratios, times = [], [], []
        for _ in range(rounds):
            base, base_cpu = _timed(plain, count)
            spent, spent_cpu = _timed(page, count)
            ratios.append(spent / base)
            cpu_ratios.append(spent_cpu / base_cpu)
            times.append(spent)
        results.append(
            {
                "name": name,
                "ms": statistics.median(times) * 1000,
                "cost_x": statistics.median(ratios),
                "cpu_x": statistics.median(cpu_ratios),
                "queries": _query_count(page),
                "bytes": len(page().content),
            }
        )
        print(
            f"{name:22} {results[-1]['ms']:8.2f} ms  cost_x={results[-1]['cost_x']:7.1f}  "
            f"cpu_x={results[-1]['cpu_x']:7.1f}  queries={results[-1]['queries']:3}  bytes={results[-1]['bytes']}",
            flush=True,
        )
    plain_ms, plain_cpu_ms = (seconds * 1000 for seconds in _timed(plain, count))
    print(f"{'plain':22} {plain_ms:8.3f} ms (cpu {plain_cpu_ms:.3f} ms)", flush=True)
    return results


def print_queries(world, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    who, method, address = PAGES[name]
    page = _requester(_client_for(world, who), method, address(world), world)
    page()
    with CaptureQueriesContext(connection) as captured:
        page()
    for number, query in enumerate(captured.captured_queries, 1):
        print(f"{number:3} {query['time']} {query['sql'][:300]}")


def profile(world, name, count, top=35):
    who, method, address = PAGES[name]
    page = _requester(_client_for(world, who), method, address(world), world)
    page()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        page()
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print(out.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20, help="dossiers on the panel, candidates, awards")
    parser.add_argument("--requests", type=int, default=100, help="requests per page per round")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    parser.add_argument("--profile", default="", help="page names: print their cProfile")
    parser.add_argument("--sql", default="", help="a page name: print its queries")
    options = parser.parse_args()

    configure(os.environ.get("DATABASE_URL"))
    from django.db import connection

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    try:
        start = time.perf_counter()
        world = build_world(options.rows)
        print(
            f"world of {options.rows} rows built in {time.perf_counter() - start:.1f}s on {connection.vendor} ({name})"
        )
        names = [page for page in options.pages.split(",") if page]
        measure(world, names, options.requests)
        if options.sql:
            print_queries(world, options.sql)
        for page in filter(None, options.profile.split(",")):
            profile(world, page, options.requests)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
