from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "mapro.catalogue"
    label = "catalogue"
    verbose_name = "Catálogo de procedimientos"
