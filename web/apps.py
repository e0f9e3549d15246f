from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "web"
    label = "web"
    verbose_name = "Interfaz web"


class AxesConfig(AxesAppConfig):
    """django-axes (login throttling) under a Spanish heading in the admin: its own says "Axes"."""

    verbose_name = "Control de ingresos"
