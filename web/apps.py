from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils import timezone
from django.utils.formats import date_format


class WebConfig(AppConfig):
    name = "web"
    label = "web"
    verbose_name = "Interfaz web"


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else "—"


class AxesConfig(AxesAppConfig):
    """
    django-axes (login throttling) in Spanish in the admin: its app is called "Control de ingresos" (its own
    says "Axes"), and its rows name themselves in Spanish (axes builds "Attempted Access: …" in English
    with no translation hook; the admin shows it as each row's title and in the breadcrumbs).
    """

    verbose_name = "Control de ingresos"

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        AccessAttempt.__str__ = lambda self: (
            f"Intento de ingreso de {self.username}: {_when(self.attempt_time)}"
        )
        AccessLog.__str__ = lambda self: f"Ingreso de {self.username}: {_when(self.attempt_time)}"
        AccessFailureLog.__str__ = lambda self: (
            f"Ingreso fallido de {self.username}{' (bloqueado)' if self.locked_out else ''}: "
            f"{_when(self.attempt_time)} desde {self.ip_address}"
        )
