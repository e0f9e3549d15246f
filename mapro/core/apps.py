from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mapro.core"
    label = "core"
