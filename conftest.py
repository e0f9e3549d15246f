"""
Root fixtures shared by every test package, among them `api_url`: a live server whose requests each run on
their own database connection, for tests of concurrent requests.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler, _StaticFilesHandler


@pytest.fixture(scope="session")
def db_engine() -> str:
    """The database vendor the suite runs on: "sqlite" or "postgresql" (Django's ``connection.vendor``).

    For the rare test whose expectations differ by engine; it needs no database access.
    """
    from django.db import connection

    return connection.vendor


class _ConnectionPerRequestServer(ThreadedWSGIServer):
    """Each request thread opens its own connection to `settings_dict`, as separate server workers would."""

    def __init__(self, *args, settings_dict: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.settings_dict = settings_dict

    def process_request_thread(self, request, client_address) -> None:
        connections[DEFAULT_DB_ALIAS] = connections[DEFAULT_DB_ALIAS].__class__(
            self.settings_dict, DEFAULT_DB_ALIAS
        )
        super().process_request_thread(request, client_address)  # closes the connection at the end


class _FileLiveServerThread(LiveServerThread):
    def __init__(self, *, settings_dict: dict) -> None:
        super().__init__("localhost", _StaticFilesHandler)
        self.settings_dict = settings_dict
        self.daemon = True

    def _create_server(self, connections_override=None):
        return _ConnectionPerRequestServer(
            (self.host, self.port),
            QuietWSGIRequestHandler,
            allow_reuse_address=False,
            settings_dict=self.settings_dict,
        )


@contextmanager
def sqlite_file_database(path: Path) -> Iterator[dict]:
    """This thread's connection moves to a file copy of the in-memory test database, until the end."""
    from config.settings.base import _database  # the SQLite options used outside tests

    original = connections[DEFAULT_DB_ALIAS]
    original.ensure_connection()
    target = sqlite3.connect(path)
    original.connection.backup(target)
    target.close()
    settings_dict = {**original.settings_dict, "NAME": str(path), "OPTIONS": _database()["OPTIONS"]}
    connections[DEFAULT_DB_ALIAS] = original.__class__(settings_dict, DEFAULT_DB_ALIAS)
    try:
        yield settings_dict
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = original


@pytest.fixture
def api_url(request, transactional_db, tmp_path) -> Iterator[str]:
    """Base URL of a live server whose requests each run on their own database connection."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        yield request.getfixturevalue("live_server").url
        return
    with sqlite_file_database(tmp_path / "concurrency.sqlite3") as settings_dict:
        server = _FileLiveServerThread(settings_dict=settings_dict)
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        try:
            yield f"http://{server.host}:{server.port}"
        finally:
            server.terminate()
