"""
Django's `flush`, able to empty the audit tables: on SQLite their DELETE triggers refuse every DELETE
outside `audit_maintenance()` (mapro/audit/protection.py). The test suite flushes between transactional
tests; emptying the whole database is an operator's act on mapro itself, not a way in for a database client.
"""

from typing import Any

from django.core.management.commands import flush

from mapro.audit.protection import audit_maintenance


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with audit_maintenance():
            super().handle(**options)
