"""Backup and restore (备份与恢复): a world backed up and restored into an empty database and folder is found whole.

On PostgreSQL the restore goes into a scratch database `<test database>_restore` (pg_dump/pg_restore); on SQLite
into a new file. Rows are read back over a connection of their own, never Django's test connection. The figures
(size, seconds) print with `pytest -s`.
"""

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from applications.models import Attachment, Dossier
from committee import services_voting
from committee.models import BallotReceipt, Certificate, VoteCount
from mayor_award.core import backup
from review.models import ItemScore, ScoreSheet
from tests.conftest import postgres_in_use, require
from tests.factories.applications import AttachmentFactory
from tests.factories.committee import CandidateFactory, CommitteeMemberFactory
from tests.factories.committee_awards import CertificateFactory
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import PanelFactory
from tests.factories.review_consensus import scored_panel

# transaction=True: pg_dump reads the database over its own connection, so the world must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def build_world():
    """Two scored sheets of a dossier with two attachments, two ballots in an open vote, two certificates."""
    scored = scored_panel(experts=2)
    scored.submit_all(percents=[40, 70])
    AttachmentFactory(dossier=scored.dossier, content=b"%PDF-1.4 licence " + bytes(range(256)) * 8)
    AttachmentFactory(dossier=scored.dossier, title="质量手册", original_name="质量手册.pdf", content=b"%PDF-1.4 \xe6")

    secretariat = UserFactory(roles=["secretariat"], is_staff=True)
    cycle = CycleFactory(phase="deliberation")
    panel = PanelFactory(cycle=cycle)
    candidates = [
        CandidateFactory(panel=panel, position=n, onsite_total=Decimal(score))
        for n, score in enumerate(("800", "700"), 1)
    ]
    members = [CommitteeMemberFactory(cycle=cycle, office="director" if n == 0 else "member") for n in range(3)]
    session = services_voting.session_open(
        session=services_voting.session_prepare(cycle=cycle, by=secretariat), by=secretariat
    )
    for member, choice in zip(members[:2], ("approve", "disapprove"), strict=True):
        services_voting.ballot_cast(
            session=session, member=member, choices={c.pk: choice for c in candidates}, by=member.user
        )
    CertificateFactory()
    CertificateFactory()
    return session


class Restored:
    """Queries on the restored database over a DB-API connection of its own."""

    def __init__(self, database: dict):
        self.vendor = backup.vendor_of(database)
        self.connection = backup.raw_connection(database)

    def rows(self, model, columns: str, where: str = "", params=()) -> list[tuple]:
        sql = f'SELECT {columns} FROM "{model._meta.db_table}" {where} ORDER BY id'  # noqa: S608 - test's own SQL
        if self.vendor == backup.SQLITE:
            sql = sql.replace("%s", "?")
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, list(params))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def close(self):
        self.connection.close()


@pytest.fixture
def scratch_database(tmp_path):
    """An empty database to restore into: `<test db>_restore` on PostgreSQL (dropped afterwards), a new SQLite file."""
    database = dict(connection.settings_dict)
    if not postgres_in_use():
        database.update(NAME=str(tmp_path / "restored.sqlite3"))
        yield database
        return
    database["NAME"] = f"{database['NAME']}_restore"
    admin = backup.raw_connection(connection.settings_dict)
    admin.autocommit = True

    def execute(sql):
        with admin.cursor() as cursor:
            cursor.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{database["NAME"]}"')
    execute(f'CREATE DATABASE "{database["NAME"]}"')
    try:
        yield database
    finally:
        execute(f'DROP DATABASE IF EXISTS "{database["NAME"]}" WITH (FORCE)')
        admin.close()


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_backup_restored_into_an_empty_database_and_folder_finds_everything_again(tmp_path, scratch_database):
    if postgres_in_use():
        require(bool(shutil.which("pg_dump") and shutil.which("pg_restore")), "needs pg_dump and pg_restore")
    session = build_world()
    private = Path(settings.PRIVATE_FILES_ROOT)

    made = backup.backup_create(into=tmp_path / "backups")
    print(f"\nbackup: {folder_size(made.folder) / 1024:.1f} KiB in {made.seconds:.2f} s ({made.folder.name})")
    manifest = backup.manifest_read(made.folder)
    assert manifest["database"]["vendor"] == ("postgresql" if postgres_in_use() else "sqlite")
    assert manifest["tables"]["applications.Dossier"] == Dossier.objects.count()
    assert manifest["tables"]["committee.BallotReceipt"] == 2
    stored = {p.relative_to(private).as_posix() for p in private.rglob("*") if p.is_file()}
    assert set(manifest["files"]["items"]) == stored
    assert manifest["files"]["count"] == len(stored) == 4  # two attachments, two certificates

    target = tmp_path / "restored-private"
    restored = backup.restore(made.folder, database=scratch_database, files_root=target)
    print(f"restore: {restored.seconds:.2f} s, {len(manifest['tables'])} tables, {len(stored)} files")
    assert restored.problems == []

    found = Restored(scratch_database)
    try:
        assert found.rows(Dossier, "id, number") == list(Dossier.objects.order_by("id").values_list("id", "number"))
        for attachment in Attachment.objects.all():
            [(name, sha256)] = found.rows(Attachment, "file, sha256", "WHERE id = %s", [attachment.pk])
            assert (name, sha256) == (attachment.file.name, attachment.sha256)
            assert (target / name).read_bytes() == Path(attachment.file.path).read_bytes()
        assert found.rows(ScoreSheet, "id, seat_id, state") == list(
            ScoreSheet.objects.order_by("id").values_list("id", "seat_id", "state")
        )
        scores = found.rows(ItemScore, "sheet_id, item_id, percent")
        expected = list(ItemScore.objects.order_by("id").values_list("sheet_id", "item_id", "percent"))
        assert [(s, i, int(p)) for s, i, p in scores] == [(s, i, int(p)) for s, i, p in expected]
        assert found.rows(BallotReceipt, "session_id, member_id") == list(
            BallotReceipt.objects.filter(session=session).order_by("id").values_list("session_id", "member_id")
        )
        counters = found.rows(VoteCount, "candidate_id, approvals, disapprovals, abstentions")
        assert sorted(counters) == sorted(
            VoteCount.objects.values_list("candidate_id", "approvals", "disapprovals", "abstentions")
        )
        assert {(a, d) for _c, a, d, _x in counters} == {(1, 1)}  # one approval, one disapproval each
        for certificate in Certificate.objects.all():
            [(serial, name)] = found.rows(Certificate, "serial, pdf", "WHERE id = %s", [certificate.pk])
            assert (serial, name) == (certificate.serial, certificate.pdf.name)
            assert (target / name).read_bytes() == Path(certificate.pdf.path).read_bytes()
    finally:
        found.close()

    with pytest.raises(backup.BackupError, match="is not empty"):
        backup.restore(made.folder, database=scratch_database, files_root=tmp_path / "another-empty-folder")
    (target / "left-over.txt").write_text("not in the backup")
    forced = backup.restore(made.folder, database=scratch_database, files_root=target, force=True)
    assert forced.problems == []
    assert not (target / "left-over.txt").exists()  # --force empties the folder first

    # The same through manage.py (one test: a transactional test's flush costs seconds on PostgreSQL).
    call_command("backup_award", "--into", str(tmp_path / "by-command"))
    [folder] = (tmp_path / "by-command").iterdir()
    assert backup.manifest_read(folder)["tables"] == manifest["tables"]
    with pytest.raises(CommandError, match="is not empty"):  # the project's own database holds the world
        call_command("restore_award", str(folder))
