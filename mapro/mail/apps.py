from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "mapro.mail"
    label = "mail"
    verbose_name = "Correo electrónico"
