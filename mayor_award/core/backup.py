"""Backup and restore (备份与恢复) of the award's database and private files, with a manifest that proves them.

A backup is one folder, ``<into>/<YYYYmmdd-HHMMSS>/``, holding:

- ``database.dump`` (PostgreSQL, ``pg_dump -Fc``) or ``database.sqlite3`` (SQLite, the sqlite3 backup API);
- ``private-files.tar.gz``: everything under PRIVATE_FILES_ROOT (attachments, receipts, certificates, …);
- ``manifest.json``: when, which database vendor, the row count of every table of the project's models, and the
  size and SHA-256 of every private file.

A restore goes only into an empty database and an empty private folder, unless forced (then both are emptied
first), and checks the restored rows and files against the manifest before it reports success.
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone

MANIFEST = "manifest.json"
FILES_ARCHIVE = "private-files.tar.gz"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FORMAT_VERSION = 1
POSTGRESQL = "postgresql"
SQLITE = "sqlite"
# The tables the summary names first: what the award cannot lose.
KEY_MODELS = (
    "applications.Dossier",
    "applications.Attachment",
    "review.ScoreSheet",
    "review.ItemScore",
    "committee.BallotReceipt",
    "committee.VoteCount",
    "committee.Award",
    "committee.Certificate",
    "core.AuditEvent",
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass
class Outcome:
    folder: Path
    manifest: dict
    seconds: float
    problems: list[str] = field(default_factory=list)


# --- what is where ---


def vendor_of(database: dict) -> str:
    engine = database["ENGINE"]
    if engine == "django.db.backends.postgresql":
        return POSTGRESQL
    if engine == "django.db.backends.sqlite3":
        return SQLITE
    raise BackupError(f"Backups support PostgreSQL and SQLite only, not {engine}.")


def model_tables() -> dict[str, str]:
    """Model label -> table, for every concrete model of the project (many-to-many tables included)."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            tables[meta.label] = meta.db_table
    return dict(sorted(tables.items()))


def pg_environment(database: dict) -> tuple[list[str], dict]:
    """libpq's connection arguments and environment (the password never on the command line)."""
    arguments = []
    if database.get("HOST"):
        arguments += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        arguments += ["--port", str(database["PORT"])]
    if database.get("USER"):
        arguments += ["--username", str(database["USER"])]
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return arguments, env


def raw_connection(database: dict):
    """A DB-API connection of its own (not Django's), so a restore can count rows in any database."""
    if vendor_of(database) == SQLITE:
        return sqlite3.connect(str(database["NAME"]))
    import psycopg2

    options = {key: value for key, value in (database.get("OPTIONS") or {}).items() if isinstance(value, str | int)}
    return psycopg2.connect(
        dbname=database["NAME"],
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        **options,
    )


def existing_tables(connection, vendor: str) -> set[str]:
    with _cursor(connection) as cursor:
        if vendor == SQLITE:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        else:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
        return {row[0] for row in cursor.fetchall()}


def row_counts(connection, vendor: str) -> dict[str, int]:
    """Rows per model table (label -> count); tables the database does not have are left out."""
    present = existing_tables(connection, vendor)
    counts = {}
    with _cursor(connection) as cursor:
        for label, table in model_tables().items():
            if table in present:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - table names come from the models
                counts[label] = cursor.fetchone()[0]
    return counts


class _cursor:
    """A cursor that is closed afterwards (sqlite3's cursor is no context manager)."""

    def __init__(self, connection):
        self.cursor = connection.cursor()

    def __enter__(self):
        return self.cursor

    def __exit__(self, *exc):
        self.cursor.close()


def file_checksums(root: Path) -> dict[str, dict]:
    """Relative path -> {"size", "sha256"} for every regular file under `root`."""
    files = {}
    if not root.exists():
        return files
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        files[path.relative_to(root).as_posix()] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- backup ---


def default_backup_root() -> Path:
    return Path(settings.BASE_DIR) / "var" / "backups"


def backup_create(*, into: Path | None = None, using: str = "default", files_root: Path | None = None) -> Outcome:
    """Back up the database `using` and the private files into a new timestamped folder under `into`."""
    started = time.monotonic()
    files_root = Path(files_root or settings.PRIVATE_FILES_ROOT)
    connection = connections[using]
    connection.ensure_connection()
    database = connection.settings_dict
    vendor = vendor_of(database)
    folder = _new_folder(Path(into or default_backup_root()))
    try:
        if vendor == POSTGRESQL:
            database_file = _pg_dump(database, folder / PG_DUMP)
        else:
            database_file = _sqlite_copy(connection.connection, folder / SQLITE_COPY)
        counts = row_counts(connection.connection, vendor)
        files = file_checksums(files_root)
        _archive(files_root, files, folder / FILES_ARCHIVE)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": vendor, "name": str(database["NAME"]), "file": database_file.name},
            "tables": counts,
            "files": {"archive": FILES_ARCHIVE, "count": len(files), "items": files},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half-made backup that looks like a good one
        raise
    return Outcome(folder=folder, manifest=manifest, seconds=time.monotonic() - started)


def _new_folder(root: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    root.mkdir(parents=True, exist_ok=True)
    folder, n = root / stamp, 1
    while folder.exists():  # two backups within a second
        n += 1
        folder = root / f"{stamp}-{n}"
    folder.mkdir(mode=0o700)  # the database and the applicants' files: for the operator's eyes only
    return folder


def _pg_dump(database: dict, target: Path) -> Path:
    _require_program("pg_dump")
    arguments, env = pg_environment(database)
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *arguments, database["NAME"]], env)
    return target


def _sqlite_copy(source: sqlite3.Connection, target: Path) -> Path:
    destination = sqlite3.connect(str(target))
    try:
        source.backup(destination)  # a consistent copy even while others write
    finally:
        destination.close()
    return target


def _archive(root: Path, files: dict, target: Path):
    with tarfile.open(target, "w:gz") as archive:
        for name in files:
            archive.add(root / name, arcname=name, recursive=False)


# --- restore ---


def manifest_read(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}.")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{path} has format {manifest.get('format')!r}; this version reads {FORMAT_VERSION}.")
    return manifest


def restore(
    folder: Path, *, database: dict | None = None, files_root: Path | None = None, force: bool = False
) -> Outcome:
    """Restore the backup in `folder` into `database` (a DATABASES entry; default: the project's) and `files_root`,
    then compare rows and files with the manifest. Refuses a database with tables or a folder with files unless
    `force`, which empties them first. The outcome's `problems` lists every mismatch (empty when all is equal)."""
    started = time.monotonic()
    folder = Path(folder)
    manifest = manifest_read(folder)
    database = database or connections["default"].settings_dict
    files_root = Path(files_root or settings.PRIVATE_FILES_ROOT)
    vendor = vendor_of(database)
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(f"The backup is of a {manifest['database']['vendor']} database, the target is {vendor}.")
    _require_empty(database, vendor, files_root, force=force)

    if vendor == POSTGRESQL:
        _pg_restore(database, folder / manifest["database"]["file"])
    else:
        _sqlite_restore(folder / manifest["database"]["file"], Path(database["NAME"]))
    _extract(folder / manifest["files"]["archive"], files_root)

    problems = _compare_tables(manifest, database, vendor) + _compare_files(manifest, files_root)
    return Outcome(folder=folder, manifest=manifest, seconds=time.monotonic() - started, problems=problems)


def _require_empty(database: dict, vendor: str, files_root: Path, *, force: bool):
    tables = _tables_in(database, vendor)
    files = [p for p in files_root.rglob("*") if not p.is_dir()] if files_root.exists() else []
    if not force:
        if tables:
            raise BackupError(
                f"The database {database['NAME']} is not empty ({len(tables)} tables). Restore into an empty "
                "database, or pass --force to drop its tables first."
            )
        if files:
            raise BackupError(
                f"The private folder {files_root} is not empty ({len(files)} files). Restore into an empty "
                "folder, or pass --force to delete its files first."
            )
        return
    if tables:
        _drop_everything(database, vendor)
    if files_root.exists():
        shutil.rmtree(files_root)


def _tables_in(database: dict, vendor: str) -> set[str]:
    if vendor == SQLITE and not Path(database["NAME"]).exists():
        return set()
    connection = raw_connection(database)
    try:
        return existing_tables(connection, vendor)
    finally:
        connection.close()


def _drop_everything(database: dict, vendor: str):
    if vendor == SQLITE:
        Path(database["NAME"]).unlink()
        return
    connection = raw_connection(database)
    try:
        with _cursor(connection) as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        connection.commit()
    finally:
        connection.close()


def _pg_restore(database: dict, dump: Path):
    _require_program("pg_restore")
    arguments, env = pg_environment(database)
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            database["NAME"],
            *arguments,
            str(dump),
        ],
        env,
    )


def _sqlite_restore(copy: Path, target: Path):
    target.parent.mkdir(parents=True, exist_ok=True)
    source, destination = sqlite3.connect(str(copy)), sqlite3.connect(str(target))
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()


def _extract(archive: Path, root: Path):
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(root, filter="data")  # "data": no absolute paths, no escaping links, no devices


def _compare_tables(manifest: dict, database: dict, vendor: str) -> list[str]:
    connection = raw_connection(database)
    try:
        counts = row_counts(connection, vendor)
    finally:
        connection.close()
    problems = []
    for label, expected in manifest["tables"].items():
        found = counts.get(label)
        if found != expected:
            problems.append(f"table of {label}: {found} rows restored, the backup has {expected}")
    return problems


def _compare_files(manifest: dict, root: Path) -> list[str]:
    problems = []
    for name, expected in manifest["files"]["items"].items():
        path = root / name
        if not path.is_file():
            problems.append(f"file {name} is missing")
        elif sha256_of(path) != expected["sha256"]:
            problems.append(f"file {name} differs from the backup (SHA-256)")
    return problems


# --- helpers ---


def _require_program(name: str):
    if shutil.which(name) is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client programs (Debian: postgresql-client).")


def _run(command: list[str], env: dict):
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 - fixed programs
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def summary(outcome: Outcome) -> list[str]:
    """The lines a command prints: the folder, key tables, files, seconds."""
    manifest = outcome.manifest
    tables = manifest["tables"]
    lines = [f"{outcome.folder}", f"  database: {manifest['database']['vendor']} ({manifest['database']['name']})"]
    lines += [f"  {label}: {tables[label]}" for label in KEY_MODELS if label in tables]
    lines.append(f"  tables: {len(tables)}, rows: {sum(tables.values())}")
    lines.append(f"  private files: {manifest['files']['count']}")
    lines.append(f"  seconds: {outcome.seconds:.2f}")
    created = dt.datetime.fromisoformat(manifest["created_at"])
    lines.append(f"  backed up at: {timezone.localtime(created):%Y-%m-%d %H:%M:%S %Z}")
    return lines
