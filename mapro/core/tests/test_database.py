"""The suite runs on the engine it was asked for: a misconfigured PostgreSQL run fails here, loudly."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

pytestmark = pytest.mark.django_db


def expected_vendor() -> str:
    return "postgresql" if os.environ.get("MAPRO_DB_ENGINE") == "postgresql" else "sqlite"


def test_runs_on_the_requested_engine(db_engine, record_property):
    record_property("db_vendor", connection.vendor)
    print(f"database vendor: {connection.vendor}")
    assert connection.vendor == expected_vendor(), (
        f"MAPRO_DB_ENGINE={os.environ.get('MAPRO_DB_ENGINE')!r} but the tests run on {connection.vendor}"
    )
    assert db_engine == connection.vendor


def test_a_real_query_runs(record_property):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_database(), current_setting('server_version')")
            database, version = cursor.fetchone()
            record_property("db_server_version", version)
            # Django created and uses its own test database, never the development one.
            assert database == connection.settings_dict["NAME"]
            assert database.startswith("test_")
        else:
            cursor.execute("SELECT sqlite_version()")
            record_property("db_server_version", cursor.fetchone()[0])

    User = get_user_model()
    User.objects.create_user(username="probe", password="x")
    assert User.objects.filter(username="probe").count() == 1
