from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "mapro.cases"
    label = "cases"
    verbose_name = "Expedientes"
