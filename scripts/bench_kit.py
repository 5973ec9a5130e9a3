"""Shared machinery of the benchmark and the reliability runs (scripts/bench.py, load_scores.py, fault_pg_restart.py).

Not a test and not part of the application: it prepares a PostgreSQL database of its own with provincial-scale
data (manage.py build_province), serves the application with gunicorn on loopback exactly as a deployment would
(DEBUG off, persistent connections, Redis), logs sample users in by creating their sessions, and drives wrk.

Everything started here runs in its own process group and is stopped in `finally` blocks.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/mayor_award_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"  # a Redis database index of the benchmark's own
STATE_DIR = ROOT / "var" / "bench"
PASSWORD = "Luohe-Award-2026"  # noqa: S105 - the build's public demo password
WRK = shutil.which("wrk") or "/usr/bin/wrk"
BUILD_TIMEOUT = 30 * 60


def say(*parts):
    print(*parts, flush=True)


# --- the database and its builds ---


def database_url() -> str:
    """BENCH_DATABASE_URL, else DATABASE_URL when it names a benchmark database, else mayor_award_bench."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if url.startswith("postgres") and "bench" in database_name(url):
        return url
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def sibling_url(url: str, suffix: str) -> str:
    """The same server with the database name + suffix (the small build lives beside the large one)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database_name(url) + suffix))


def _psql_args(url: str) -> list[str]:
    parts = urllib.parse.urlsplit(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    return args


def _psql_env(url: str) -> dict:
    env = dict(os.environ)
    password = urllib.parse.urlsplit(url).password
    if password:
        env["PGPASSWORD"] = urllib.parse.unquote(password)
    return env


def psql(url: str, sql: str, database: str = "postgres") -> str:
    result = subprocess.run(  # noqa: S603
        ["psql", *_psql_args(url), "-d", database, "-Atqc", sql],  # noqa: S607 - the client on PATH
        capture_output=True,
        text=True,
        env=_psql_env(url),
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {sql}\n{result.stderr}")
    return result.stdout.strip()


def database_exists(url: str) -> bool:
    name = database_name(url)
    return psql(url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"  # noqa: S608 - our own name


def recreate_database(url: str) -> None:
    name = database_name(url)
    if "bench" not in name:  # never drop anything but a benchmark's own database
        raise SystemExit(f"refusing to drop {name!r}: the benchmark only drops databases named *bench*")
    psql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(url, f'CREATE DATABASE "{name}"')


def state_path(url: str) -> Path:
    return STATE_DIR / f"{database_name(url)}.json"


def private_root(url: str) -> Path:
    return STATE_DIR / "private" / database_name(url)


STATIC_ROOT = STATE_DIR / "static"


def server_env(url: str, secret_key: str, redis_url: str = DEFAULT_REDIS_URL, **extra) -> dict:
    """The environment of a production-like process on loopback (plain http, so cookies are not `secure`)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="mayor_award.settings",
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SESSION_COOKIE_SECURE="false",
        DJANGO_CSRF_COOKIE_SECURE="false",
        DJANGO_SECURE_HSTS_SECONDS="0",
        DJANGO_ROOT_URLCONF="mayor_award.bench_urls",
        DJANGO_STATIC_ROOT=str(STATIC_ROOT),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_LOG_LEVEL="WARNING",
        PRIVATE_FILES_ROOT=str(private_root(url)),
        AXES_ENABLED="false",
        SITE_URL="http://127.0.0.1:8000",
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def secret_key() -> str:
    return secrets.token_urlsafe(50)


def manage(env: dict, *args: str, timeout: float = BUILD_TIMEOUT, echo: bool = False) -> str:
    """Run manage.py with `env`; its output (echoed line by line when `echo`, for build progress)."""
    process = subprocess.Popen(  # noqa: S603
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    deadline = time.monotonic() + timeout
    try:
        for line in process.stdout:
            lines.append(line)
            if echo:
                print("    " + line.rstrip(), flush=True)
            if time.monotonic() > deadline:
                raise RuntimeError(f"manage.py {' '.join(args)} took more than {timeout:.0f} s")
        process.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        stop_group(process)
    if process.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({process.returncode}):\n{''.join(lines[-40:])}")
    return "".join(lines)


def build_line(output: str) -> dict:
    for line in reversed(output.splitlines()):
        if line.startswith("BUILD "):
            return json.loads(line[len("BUILD ") :])
    raise RuntimeError("build_province printed no BUILD line:\n" + output[-2000:])


def _users_present(url: str, tags) -> bool:
    names = ",".join(f"'{tag}-secretariat'" for tag in tags)
    sql = f"SELECT count(*) FROM core_user WHERE username IN ({names})"  # noqa: S608 - our own tags
    try:
        return psql(url, sql, database_name(url)) == str(len(tags))
    except RuntimeError:
        return False


def ensure_builds(url: str, builds: dict[str, list[str]], env: dict, *, rebuild: bool = False) -> dict[str, dict]:
    """The BUILD summaries of `builds` ({tag: build_province arguments}) in the database at `url`.

    Builds already in the database (recorded in var/bench/<database>.json, their users present) are reused and the
    missing ones added; a database that does not match its record (or --rebuild) is dropped, created, migrated and
    built afresh, tag by tag.
    """
    path = state_path(url)
    state = json.loads(path.read_text()) if path.exists() else {}
    usable = (
        not rebuild
        and database_exists(url)
        and all(state.get(tag, {}).get("args", args) == args for tag, args in builds.items())
        and _users_present(url, list(state))
    )
    if not usable:
        say(f"  creating {database_name(url)} (once; later runs reuse it, --rebuild starts afresh)")
        recreate_database(url)
        shutil.rmtree(private_root(url), ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {}
        path.write_text("{}")
        manage(env, "migrate", "--noinput", "--verbosity", "0")
    missing = [tag for tag in builds if tag not in state]
    if not missing:
        say(f"  reusing {database_name(url)} (builds {', '.join(builds)})")
    for tag in missing:
        args = builds[tag]
        started = time.monotonic()
        say(f"  build_province --tag {tag} {' '.join(args)}")
        output = manage(env, "build_province", "--tag", tag, *args, echo=True)
        state[tag] = {"args": args, "build": build_line(output), "seconds": round(time.monotonic() - started, 1)}
        path.write_text(json.dumps(state, indent=2, ensure_ascii=False))
        say(f"  built {tag} in {state[tag]['seconds']} s")
    return {tag: state[tag]["build"] for tag in builds}


def collect_static(env: dict) -> None:
    """The hashed static files the production storage serves (DEBUG off needs the manifest)."""
    manage(env, "collectstatic", "--noinput", "--verbosity", "0", timeout=600)


def redis_flush(url: str = DEFAULT_REDIS_URL) -> None:
    with contextlib.suppress(Exception):
        subprocess.run(["redis-cli", "-u", url, "FLUSHDB"], capture_output=True, timeout=10)  # noqa: S603, S607


# --- processes ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_group(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """Stop a process started with start_new_session=True, and everything it started (its process group)."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


@dataclass
class Server:
    """gunicorn serving the application on 127.0.0.1 (sync workers)."""

    env: dict
    workers: int = 2
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Server":
        self.port = self.port or free_port()
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = STATE_DIR / f"gunicorn-{self.port}.log"
        log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [
                PYTHON,
                "-m",
                "gunicorn",
                "mayor_award.wsgi:application",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "600",  # a page that takes minutes is measured, not killed
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped:\n" + self.log_tail())
            with contextlib.suppress(OSError):
                if get(self.port, "/bench/plain/")[0] == 200:
                    return self
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer in time:\n" + self.log_tail())

    def stop(self) -> None:
        stop_group(self.process)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def get(port: int, path: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, dict, bytes]:
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def request(port: int, method: str, path: str, headers: dict, body: str | None = None, timeout: float = 30):
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# --- logging in (in-process: Django must be set up with the server's environment) ---


@dataclass
class Login:
    """A logged-in user's cookies, as a browser would hold them after the login page."""

    username: str
    session_key: str
    csrf_secret: str

    @property
    def cookie(self) -> str:
        return f"sessionid={self.session_key}; csrftoken={self.csrf_secret}"


def login(username: str) -> Login:
    """A session for `username`, made as django.contrib.auth.login makes it (same keys, same hash)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    user = get_user_model().objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(settings.SESSION_COOKIE_AGE)
    session.save()
    # The CSRF cookie holds the unmasked secret; the form field may carry it as it is.
    return Login(username=username, session_key=session.session_key, csrf_secret=get_random_string(32))


# --- wrk ---

LUA_DONE = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    if counts then
      for key, count in pairs(counts) do statuses[key] = (statuses[key] or 0) + count end
    end
  end
  local parts = {}
  for key, count in pairs(statuses) do table.insert(parts, string.format('"%s":%d', key, count)) end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
    .. '"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f,"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, table.concat(parts, ",")))
end
"""

# Counts every answer by wall-clock second and status ("1764120000:200"): for the fault run only (a response()
# hook makes wrk parse every answer in Lua, which costs the client time).
LUA_STATUS_BY_SECOND = r"""
statuses = {}
function response(status, headers, body)
  local key = os.time() .. ":" .. status
  statuses[key] = (statuses[key] or 0) + 1
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII text


@dataclass
class WrkRequest:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: str | None = None


def lua_requests(requests: list[WrkRequest]) -> str:
    """A wrk script sending `requests` in turn, each thread from its own position (built once, in init)."""
    lines = ["local prepared = {}", "local position = 0", "function init(args)"]
    for item in requests:
        headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in item.headers.items())
        body = lua_string(item.body) if item.body is not None else "nil"
        lines.append(
            f"  table.insert(prepared, wrk.format({lua_string(item.method)}, {lua_string(item.path)}, "
            f"{{{headers}}}, {body}))"
        )
    lines += [
        "  position = math.random(#prepared) - 1",
        "end",
        "function request()",
        "  position = position % #prepared + 1",
        "  return prepared[position]",
        "end",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int  # socket errors and non-2xx/3xx answers
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    base: str,
    requests: list[WrkRequest],
    *,
    seconds: float,
    threads: int = 2,
    connections: int = 8,
    by_second: bool = False,
) -> WrkResult:
    script = lua_requests(requests) + (LUA_STATUS_BY_SECOND if by_second else "") + LUA_DONE
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    try:
        result = subprocess.run(  # noqa: S603 - wrk with our own script
            [
                WRK,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                script_path,
                base + requests[0].path,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 90,
        )
    finally:
        os.unlink(script_path)
    for line in result.stdout.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[len("WRKJSON ") :])
            return WrkResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                errors=data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"],
                p50_ms=data["p50"] / 1000,
                p90_ms=data["p90"] / 1000,
                p99_ms=data["p99"] / 1000,
                max_ms=data["max"] / 1000,
                statuses=data["statuses"],
            )
    raise RuntimeError(f"wrk gave no figures:\n{result.stdout}\n{result.stderr}")


# --- the machine ---


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model}
