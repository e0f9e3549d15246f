from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "mapro.reports"
    label = "reports"
    verbose_name = "Actas y reportes"
