"""
Outbound e-mail: one row per message, keyed by what it is about (`task:12:person:3`, `reminder:40`), so a
second attempt to send the same message finds the row and does nothing (docs/decisions/0023-mail.md).
"""

from django.db import models
from django.db.models import Q

from mapro.core.models import BaseModel


class OutboundEmail(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Por enviar"
        SENDING = "sending", "Enviándose"
        SENT = "sent", "Enviado"
        FAILED = "failed", "Fallido"  # attempts exhausted (or nobody to send it to): an administrator acts
        HELD = "held", "En espera del resumen diario"
        BUNDLED = "bundled", "Incluido en un resumen"

    key = models.CharField("clave", max_length=200, unique=True)
    to = models.JSONField("destinatarios", default=list)
    subject = models.CharField("asunto", max_length=300)
    body = models.TextField("cuerpo")
    person = models.ForeignKey(
        "organization.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="persona",
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="expediente",
    )
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.PENDING)
    # May wait for the daily summary of a `person` who prefers one (decided when it is delivered, so the
    # hooks on the completion path never read preferences).
    digestible = models.BooleanField("admite resumen", default=True)
    attempts = models.PositiveSmallIntegerField("intentos", default=0)
    next_attempt_at = models.DateTimeField("próximo intento", null=True, blank=True)
    claimed_at = models.DateTimeField("tomado", null=True, blank=True)
    sent_at = models.DateTimeField("enviado", null=True, blank=True)
    last_error = models.TextField("último error", blank=True)
    digest = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bundled",
        verbose_name="resumen",
    )

    class Meta:
        verbose_name = "correo saliente"
        verbose_name_plural = "correos salientes"
        indexes = [
            # The deliverer's scan: pending rows due, and stale claims.
            models.Index(fields=["status", "next_attempt_at"], name="mail_due"),
            models.Index(fields=["person", "status"], name="mail_held", condition=Q(status="held")),
        ]

    def __str__(self) -> str:
        return self.key


class OutboundAttachment(models.Model):
    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField("archivo", max_length=255)
    content = models.BinaryField()
    mimetype = models.CharField(max_length=100)

    class Meta:
        verbose_name = "adjunto de correo"
        verbose_name_plural = "adjuntos de correo"

    def __str__(self) -> str:
        return self.filename


class MailPreference(BaseModel):
    """How a person wants the mails that may wait: each at once, or one summary a day."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", "Inmediato"
        DIGEST = "digest", "Resumen diario"

    person = models.OneToOneField(
        "organization.Person",
        on_delete=models.CASCADE,
        related_name="mail_preference",
        verbose_name="persona",
    )
    mode = models.CharField("envío", max_length=10, choices=Mode, default=Mode.IMMEDIATE)

    class Meta:
        verbose_name = "preferencia de correo"
        verbose_name_plural = "preferencias de correo"

    def __str__(self) -> str:
        return f"{self.person}: {self.get_mode_display()}"


class MailCursor(models.Model):
    """
    How far the scan of one kind of case event (new tasks, notifications) has read, by creation time:
    after a complete scan the next re-reads an overlap before `seen_until` (the mails' keys drop what was
    done); after a full batch it goes on right after the last row read (`seen_until`, `last_pk`).
    """

    name = models.CharField(max_length=40, unique=True)
    seen_until = models.DateTimeField(null=True, blank=True)
    last_pk = models.BigIntegerField(default=0)
    partial = models.BooleanField(default=False)

    class Meta:
        verbose_name = "avance de la revisión de eventos"
        verbose_name_plural = "avances de la revisión de eventos"

    def __str__(self) -> str:
        return f"{self.name}: {self.seen_until}"
