"""
PostgreSQL only: a trigram index (pg_trgm) on Case.search_text, so the case list's search
(`search_text LIKE '%…%'`, mapro/cases/search.py) reads the matching cases instead of scanning them all:
1.4–3 s → ~0.1 s for a one-case search at 1 M cases (bench/README.md, cases_list.py; docs/decisions/0029).

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension (PostgreSQL 13+): the database's owner may
create it. Where it is not available or may not be created, the migration says so and goes on: the search
still works, as a scan. SQLite has no such index: there the search is always a scan.
"""

from django.db import DatabaseError, migrations, transaction

INDEX = "case_search_trgm"


def create(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_case USING gin (search_text gin_trgm_ops)"
            )
    except DatabaseError as exc:
        print(f"\n  pg_trgm no disponible ({exc}): la búsqueda de expedientes recorrerá la tabla.")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_case_entity_started")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
