"""
The database itself refuses UPDATE and DELETE of audit events, DELETE of chain heads and any head update
that is not a step forward onto an existing event (docs/decisions/0012-audit-anchors.md).

SQLite: DELETE is let through only while `mapro_audit_maintenance()` — a function that mapro registers on
its own connections (mapro/audit/protection.py) — answers 1, which happens only inside Django's `flush`
(the test suite empties tables with it). Any other client (sqlite3 shell, another program) does not have
the function, so its DELETE fails. PostgreSQL: row triggers for every role, and TRUNCATE (which Django's
flush uses and row triggers do not see) only by the table owner.

SQLite drops a table's triggers when a migration rebuilds the table: a later migration that alters these
tables must create them again (mapro/audit/tests check that they exist after every migration).
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'auditoría: los eventos no se modifican (UPDATE rechazado)'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       WHEN NOT mapro_audit_maintenance()
       BEGIN SELECT RAISE(ABORT, 'auditoría: los eventos no se eliminan (DELETE rechazado)'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_auditchainhead
       WHEN NOT mapro_audit_maintenance()
       BEGIN SELECT RAISE(ABORT, 'auditoría: las cabezas de cadena no se eliminan (DELETE rechazado)'); END""",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_auditchainhead
       WHEN NEW.chain <> OLD.chain OR NEW.seq <= OLD.seq OR NOT EXISTS (
           SELECT 1 FROM audit_auditevent e WHERE e.chain = NEW.chain AND e.seq = NEW.seq AND e.hash = NEW.hash
       )
       BEGIN SELECT RAISE(ABORT, 'auditoría: la cabeza solo avanza a un evento existente (UPDATE rechazado)');
       END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ("audit_event_no_update", "audit_event_no_delete", "audit_head_no_delete", "audit_head_forward_only")
]

POSTGRESQL = [
    """CREATE FUNCTION audit_event_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           RAISE EXCEPTION 'auditoría: los eventos no se modifican ni se eliminan (% rechazado)', TG_OP
               USING ERRCODE = 'insufficient_privilege';
       END $$""",
    """CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF TG_OP = 'DELETE' THEN
               RAISE EXCEPTION 'auditoría: las cabezas de cadena no se eliminan (DELETE rechazado)'
                   USING ERRCODE = 'insufficient_privilege';
           END IF;
           IF NEW.chain <> OLD.chain OR NEW.seq <= OLD.seq OR NOT EXISTS (
               SELECT 1 FROM audit_auditevent e WHERE e.chain = NEW.chain AND e.seq = NEW.seq AND e.hash = NEW.hash
           ) THEN
               RAISE EXCEPTION 'auditoría: la cabeza solo avanza a un evento existente (UPDATE rechazado)'
                   USING ERRCODE = 'insufficient_privilege';
           END IF;
           RETURN NEW;
       END $$""",
    # TRUNCATE needs its own privilege, which only the owner has unless granted; this keeps it to the owner
    # (and its members) even if it is granted. Django's flush (tests) runs as the owner.
    """CREATE FUNCTION audit_truncate_owner_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
               RAISE EXCEPTION 'auditoría: solo el propietario de la tabla la vacía (TRUNCATE rechazado)'
                   USING ERRCODE = 'insufficient_privilege';
           END IF;
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_refuse()""",
    """CREATE TRIGGER audit_event_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate_owner_only()""",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_auditchainhead
       FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()""",
    """CREATE TRIGGER audit_head_truncate BEFORE TRUNCATE ON audit_auditchainhead
       FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate_owner_only()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_auditchainhead",
    "DROP TRIGGER IF EXISTS audit_head_truncate ON audit_auditchainhead",
    "DROP FUNCTION IF EXISTS audit_event_refuse()",
    "DROP FUNCTION IF EXISTS audit_head_forward_only()",
    "DROP FUNCTION IF EXISTS audit_truncate_owner_only()",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_auditevent_mac")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
