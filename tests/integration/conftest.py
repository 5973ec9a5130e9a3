"""Fixtures for the real-worker tests: a Celery worker subprocess, a private redis-server, a non-eager app.

The fixtures start nothing by themselves: the test first checks with `require` that the services exist,
then starts what it needs. Whatever was started is stopped in the fixtures' teardown, also on failure.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection
from kombu import pools

from mayor_award.celery import app as celery_app
from tests.conftest import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
TAIL_LINES = 80


def wait_until(predicate, timeout: float, interval: float = 0.1) -> float | None:
    """Poll `predicate` until it is true; the seconds it took, or None when `timeout` ran out."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        time.sleep(interval)


def redis_cli(url: str, *command: str) -> str:
    result = subprocess.run(["redis-cli", "-u", url, *command], capture_output=True, text=True, timeout=5)
    return result.stdout.strip()


def worker_database_url() -> str:
    """The pytest test database (test_<NAME>) as a DATABASE_URL the worker's settings can read."""
    db = connection.settings_dict
    assert db["ENGINE"] == "django.db.backends.postgresql", db["ENGINE"]
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    options = {key: value for key, value in (db.get("OPTIONS") or {}).items() if isinstance(value, str | int)}
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}{query}"


def _tail(path: Path, lines: int = TAIL_LINES) -> str:
    if not path.exists():
        return f"({path} was not written)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class WorkerProcess:
    """`celery -A mayor_award worker -B -P solo` in its own process group, logging to a file."""

    def __init__(self, *, broker_url: str, workdir: Path):
        self.broker_url = broker_url
        self.log_path = workdir / "worker.log"
        self.schedule_path = workdir / "celerybeat-schedule"
        self.process: subprocess.Popen | None = None
        self.ready_seconds: float | None = None
        self._log_file = None

    def start(self, *, ready_timeout: float = 30) -> float:
        """Start the worker and wait until it says it is ready; returns the seconds that took."""
        env = {
            key: value
            for key, value in os.environ.items()
            # Celery reads these before its configuration: they would override REDIS_URL.
            if key not in {"CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="mayor_award.settings",
            DATABASE_URL=worker_database_url(),
            # Closes the worker's connection after each task, so nothing keeps the test database open.
            DATABASE_CONN_MAX_AGE="0",
            REDIS_URL=self.broker_url,
            NOTICE_SWEEP_SECONDS="1",
            PYTHONUNBUFFERED="1",
        )
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mayor_award",
            "worker",
            "-B",
            "-P",
            "solo",
            "--loglevel",
            "INFO",
            "--schedule-filename",
            str(self.schedule_path),
            "--hostname",
            f"itest-{uuid.uuid4().hex[:8]}@%h",
        ]
        self._log_file = self.log_path.open("w")
        started = time.monotonic()
        # A new session: the embedded beat is a child process, and teardown signals the whole group.
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        ready = wait_until(lambda: self.process.poll() is not None or " ready." in self.log(), ready_timeout, 0.1)
        assert ready is not None and self.process.poll() is None, (
            f"the worker did not become ready in {ready_timeout} s:\n{self.tail()}"
        )
        self.ready_seconds = time.monotonic() - started
        return self.ready_seconds

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = TAIL_LINES) -> str:
        return f"--- last lines of {self.log_path} ---\n{_tail(self.log_path, lines)}"

    def stop(self):
        """Warm shutdown (the worker stops its beat itself); SIGKILL for the whole group if that fails."""
        process = self.process
        if process is not None:
            clean = False
            if process.poll() is None:
                with suppress(ProcessLookupError):  # start_new_session: the worker leads its group
                    os.killpg(process.pid, signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=10)
                    clean = True
            if not clean:
                # A crashed or stuck worker may leave its embedded beat child behind in the group.
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class RedisServer:
    """A private `redis-server` on a free port that a test may stop and start again (never the shared one)."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.log_path = workdir / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> float:
        assert self.process is None, "redis-server is already running"
        started = time.monotonic()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.log_path),
            ],
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        up = wait_until(lambda: self.process.poll() is not None or redis_cli(self.url, "ping") == "PONG", timeout)
        assert up is not None and self.process.poll() is None, (
            f"redis-server did not start on port {self.port}:\n{_tail(self.log_path)}"
        )
        return time.monotonic() - started

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis-server shuts down (nothing to save here)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start a worker on a broker URL; stopped at teardown, before the database is flushed."""
    workers = []

    def start(broker_url: str) -> WorkerProcess:
        workdir = tmp_path / f"worker{len(workers)}"
        workdir.mkdir()
        worker = WorkerProcess(broker_url=broker_url, workdir=workdir)
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def private_redis(tmp_path):
    """A private redis-server, not started yet: the test checks `redis-server` exists, then calls start()."""
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(workdir)
    yield server
    server.stop()


def redis_server_available() -> bool:
    return bool(shutil.which("redis-server") and shutil.which("redis-cli"))


def _drop_broker_connections():
    """Close the test process's pooled broker connections so the next publish connects to broker_url.

    app.close() (the recipe) only forgets app.pool, and it also unregisters the app. The producer pool
    that apply_async uses is cached separately on app.amqp and would keep publishing to the old URL.
    """
    pools.reset()  # closes and forgets every kombu connection and producer pool in this process
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def real_broker(url: str):
    """Within the block the test process publishes tasks to `url` instead of running them in-process."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    _drop_broker_connections()
    conf.task_always_eager = False
    conf.broker_url = url
    try:
        yield celery_app
    finally:
        _drop_broker_connections()
        conf.task_always_eager, conf.broker_url = saved
