"""Root fixtures shared by every test package."""

import pytest


@pytest.fixture(scope="session")
def db_engine() -> str:
    """The database vendor the suite runs on: "sqlite" or "postgresql" (Django's ``connection.vendor``).

    For the rare test whose expectations differ by engine; it needs no database access.
    """
    from django.db import connection

    return connection.vendor
