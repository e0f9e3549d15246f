from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "mapro.audit"
    label = "audit"
    verbose_name = "Auditoría"

    def ready(self) -> None:
        from . import protection, signals

        signals.connect()
        connection_created.connect(protection.sqlite_function_register, dispatch_uid="audit-sqlite-switch")
