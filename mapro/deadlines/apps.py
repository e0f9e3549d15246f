from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "mapro.deadlines"
    label = "deadlines"
    verbose_name = "Plazos"
