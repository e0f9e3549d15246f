from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "mapro.schedules"
    label = "schedules"
    verbose_name = "Programación"
