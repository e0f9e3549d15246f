"""
An attacker with database access, with raw SQL, against each kind of tampering (issue 10, item 6):
(a) the last events deleted and the head rewound; (b) the head row deleted; (c) a whole chain deleted with
its head; (d) an event appended with a valid hash (with and without a head update); (e) an event edited and
every later one re-hashed. First the database refuses; then, with its triggers dropped or disabled as the
tables' owner can, `verify` catches what the MACs and the anchors can tell. Runs on SQLite and PostgreSQL.
"""

import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from mapro.audit.models import AuditChainBrokenError, AuditChainHead, AuditEvent
from mapro.audit.protection import protection_problems
from mapro.audit.services import audit_anchor_write, audit_event_record, event_hash

from .conftest import chain_write, forge, problems, sql, unprotect

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain() -> str:
    chain_write("T", 6)
    return "T"


def head(chain: str) -> tuple[int, str]:
    row = AuditChainHead.objects.get(chain=chain)
    return row.seq, row.hash


def hash_of(chain: str, seq: int) -> str:
    return AuditEvent.objects.get(chain=chain, seq=seq).hash


def forge_append(chain: str, *, update_head: bool) -> int:
    """Insert the next event with a valid hash (and a made-up MAC); the head follows it if asked."""
    last = AuditEvent.objects.filter(chain=chain).order_by("-seq").first()
    seq, prev = last.seq, last.hash
    event = AuditEvent(
        chain=chain,
        seq=seq + 1,
        occurred_at=timezone.now(),
        actor_label="sistema",
        action="task.completed",
        object_type="cases.CaseTask",
        object_id="1",
        summary="completada",
        after={"status": "completed"},
        prev_hash=prev,
        mac="0" * 64,
    )
    event.hash = event_hash(event)
    AuditEvent.objects.bulk_create([event])  # a plain INSERT, which the database accepts
    if update_head:
        sql(
            "UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain = %s",
            [seq + 1, event.hash, chain],
        )
    return seq + 1


def refused(statement: str, params=()) -> bool:
    try:
        with transaction.atomic():
            sql(statement, params)
    except DatabaseError:
        return True
    return False


class TestTheDatabaseRefuses:
    def test_update_and_delete_of_events_and_heads_whoever_asks(self, chain):
        assert refused("UPDATE audit_auditevent SET summary = 'x' WHERE chain = 'T' AND seq = 3")
        assert refused("DELETE FROM audit_auditevent WHERE chain = 'T' AND seq = 6")
        assert refused("DELETE FROM audit_auditchainhead WHERE chain = 'T'")
        # the head only steps forward, onto an event that exists with that hash: no rewind (a)
        assert refused(
            "UPDATE audit_auditchainhead SET seq = 4, hash = %s WHERE chain = 'T'", [hash_of("T", 4)]
        )
        assert refused("UPDATE audit_auditchainhead SET seq = 7, hash = %s WHERE chain = 'T'", ["f" * 64])
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(chain="T").update(summary="x")  # the ORM's bulk update skips save()
        assert AuditEvent.objects.filter(chain="T").count() == 6
        chain_write("T", 1)  # appending still moves the head
        assert head("T")[0] == 7
        assert problems() == []

    def test_a_sqlite_client_without_mapro_can_delete_nothing(self, chain, tmp_path, db_engine):
        if db_engine != "sqlite":
            pytest.skip("SQLite: the switch function exists only on mapro's connections")
        # The audit tables and their triggers exactly as migrated, in a file another program opens.
        schema = sql(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN ('audit_auditevent', 'audit_auditchainhead') "
            "AND type IN ('table', 'trigger')"
        )
        copy = sqlite3.connect(tmp_path / "robada.sqlite3")
        for (statement,) in sorted(schema, key=lambda row: "TRIGGER" in row[0]):
            copy.execute(statement)
        copy.execute("INSERT INTO audit_auditchainhead (chain, seq, hash) VALUES ('T', 1, 'h')")
        copy.execute(
            "INSERT INTO audit_auditevent (chain, seq, occurred_at, actor_label, action, object_type,"
            " object_id, summary, prev_hash, hash, mac)"
            " VALUES ('T', 1, '2026-12-06', 's', 'a', 'o', '1', '', '', 'h', '')"
        )
        for statement in (
            "DELETE FROM audit_auditevent",
            "DELETE FROM audit_auditchainhead",
            "UPDATE audit_auditevent SET summary = 'x'",
        ):
            with pytest.raises(sqlite3.DatabaseError):
                copy.execute(statement)
        counts = "SELECT (SELECT count(*) FROM audit_auditevent), (SELECT count(*) FROM audit_auditchainhead)"
        assert copy.execute(counts).fetchone() == (1, 1)
        copy.close()

    def test_the_triggers_exist_after_every_migration_and_are_missed_when_dropped(self, chain):
        assert protection_problems() == []
        unprotect()
        missing = protection_problems()
        assert len(missing) == 4
        assert all(f"base de datos: {reason}" in problems() for reason in missing)


class TestTamperingCaught:
    """Each case with the triggers out of the way, as the owner of the tables can."""

    def test_a_last_events_deleted_and_head_rewound_caught_by_the_anchor(self, chain, tmp_path):
        audit_anchor_write(directory=tmp_path)  # the day's anchor: T at 6
        unprotect()
        sql("DELETE FROM audit_auditevent WHERE chain = 'T' AND seq > 4")
        sql("UPDATE audit_auditchainhead SET seq = 4, hash = %s WHERE chain = 'T'", [hash_of("T", 4)])
        assert problems(chain="T") == []  # consistent without the anchor: only the anchor knew of 5 and 6
        [found] = problems(tmp_path, chain="T")
        assert found.startswith("cadena T, evento 5: faltan los eventos 5 a 6, que el ancla del ")
        assert found.endswith("anotó (eliminados)")

    def test_a_after_the_last_anchor_is_not_caught(self, chain, tmp_path):
        """The limit, stated: events written after the last anchor can vanish with a rewound head."""
        audit_anchor_write(directory=tmp_path)  # T at 6
        chain_write("T", 2)
        unprotect()
        sql("DELETE FROM audit_auditevent WHERE chain = 'T' AND seq > 6")
        sql("UPDATE audit_auditchainhead SET seq = 6, hash = %s WHERE chain = 'T'", [hash_of("T", 6)])
        assert problems(tmp_path, chain="T") == []

    def test_b_head_row_deleted(self, chain):
        unprotect()
        sql("DELETE FROM audit_auditchainhead WHERE chain = 'T'")
        assert problems(chain="T") == [
            "cadena T: falta la fila de cabeza (eliminada); el último evento es el 6"
        ]
        with pytest.raises(AuditChainBrokenError, match="falta la cabeza de su cadena"), transaction.atomic():
            audit_event_record(chain="T", action="prueba")  # no new chain over the old one
        sql(  # the restore of docs/audit.md
            "INSERT INTO audit_auditchainhead (chain, seq, hash) "
            "SELECT chain, seq, hash FROM audit_auditevent WHERE chain = 'T' ORDER BY seq DESC LIMIT 1"
        )
        chain_write("T", 1)
        assert problems(chain="T") == []

    def test_c_whole_chain_deleted_with_its_head_caught_by_the_anchor(self, chain, tmp_path):
        audit_anchor_write(directory=tmp_path)
        unprotect()
        sql("DELETE FROM audit_auditevent WHERE chain = 'T'")
        sql("DELETE FROM audit_auditchainhead WHERE chain = 'T'")
        assert problems(chain="T") == []  # nothing left in the database to tell
        [found] = problems(tmp_path, chain="T")
        assert found.startswith("cadena T: la cadena ya no existe: el ancla del ")
        assert found.endswith("anotó 6 eventos (eliminada con su cabeza)")

    def test_d_event_appended_with_a_valid_hash_and_the_head_moved(self, chain, tmp_path):
        audit_anchor_write(directory=tmp_path)
        # No trigger stands in the way: an INSERT, and a head that steps forward onto an existing event.
        seq = forge_append("T", update_head=True)
        assert problems(tmp_path, chain="T") == [
            f"cadena T, evento {seq}: el evento {seq} no tiene la firma (MAC) de mapro: los escribió alguien "
            "sin la clave de auditoría (insertados, o reescritos junto con los que les siguen)"
        ]

    def test_d_event_appended_without_moving_the_head_is_an_insertion(self, chain):
        seq = forge_append("T", update_head=False)
        found = problems(chain="T")
        assert (
            f"cadena T, evento {seq}: eventos {seq} a {seq} insertados después de la cabeza (que indica 6)"
            in (found)
        )
        assert not any("eliminad" in p for p in found)

    def test_e_event_edited_and_every_later_one_rehashed(self, chain, tmp_path):
        audit_anchor_write(directory=tmp_path)  # T at 6
        unprotect()
        prev = forge("T", 3, summary="otra cosa")
        for seq in (4, 5, 6):
            prev = forge("T", seq, prev_hash=prev)
        sql("UPDATE audit_auditchainhead SET hash = %s WHERE chain = 'T'", [prev])
        mac = "cadena T, evento 3: los eventos 3 a 6 no tienen la firma (MAC) de mapro"
        assert [p[: len(mac)] for p in problems(chain="T")] == [mac]  # the MACs alone catch it
        anchored = problems(tmp_path, chain="T")
        assert any(
            p.startswith("cadena T, evento 6: no es el evento que anotó el ancla del ") for p in anchored
        )

    def test_an_edit_without_rehash_breaks_the_chain(self, chain):
        unprotect()
        sql("UPDATE audit_auditevent SET summary = 'alterado' WHERE chain = 'T' AND seq = 2")
        assert problems(chain="T") == [
            "cadena T, evento 2: su contenido fue modificado después de registrarse"
        ]

    def test_the_command_names_the_event_and_fails(self, chain, capsys):
        unprotect()
        sql("UPDATE audit_auditevent SET summary = 'alterado' WHERE chain = 'T' AND seq = 2")
        with pytest.raises(CommandError, match="5 problemas"):
            call_command("audit", "verify")
        assert "ALTERADO: cadena T, evento 2: su contenido fue modificado" in capsys.readouterr().err


class TestKeys:
    def test_events_signed_with_the_derived_key_still_verify_after_an_own_key_is_set(self, chain, settings):
        settings.AUDIT_KEY = "clave-propia-de-la-instalacion"
        chain_write("T", 1)  # signed with the new key
        assert problems(chain="T") == []

    def test_another_key_does_not_verify_what_this_one_signed(self, chain, settings):
        settings.SECRET_KEY = "otra-instalacion"
        assert problems(chain="T")[0].startswith("cadena T, evento 1: los eventos 1 a 6 no tienen la firma")

    def test_migration_0002_signs_the_events_written_before_it(self, chain):
        from importlib import import_module
        from types import SimpleNamespace

        from django.apps import apps

        unprotect()
        sql("UPDATE audit_auditevent SET mac = ''")
        assert problems(chain="T")
        import_module("mapro.audit.migrations.0002_auditevent_mac").sign_existing(
            apps, SimpleNamespace(connection=connection)
        )
        assert [p for p in problems() if not p.startswith("base de datos")] == []


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_audit_tables():
    """Django's flush (transactional tests): DELETE through the switch (SQLite), TRUNCATE (PostgreSQL)."""
    chain_write("F", 3)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert not AuditChainHead.objects.exists()
