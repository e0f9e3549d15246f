from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mapro.audit"
    label = "audit"
    verbose_name = "Auditoría"

    def ready(self) -> None:
        from . import signals

        signals.connect()
