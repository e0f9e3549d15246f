"""The catalogue and the demo people, loaded once per session as for the case tests."""

from mapro.cases.tests.conftest import django_db_setup  # noqa: F401 - the session fixture, shared
