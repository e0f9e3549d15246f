from django.conf import settings
from django.db import models
from django.utils import timezone


class BaseModel(models.Model):
    """Creation and update timestamps for every domain table."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyKey(models.Model):
    """
    The answer given to one `Idempotency-Key` of one user, so that a retry gets it again instead of acting
    twice (docs/decisions/0011-idempotency-and-input-limits.md). Written in the transaction of the change
    it answers: a committed change always has its stored answer, a rolled-back one never.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 del método, la ruta y el cuerpo.")
    status_code = models.PositiveSmallIntegerField()
    # The JSON exactly as first sent (text, not jsonb, which would reorder its keys): a replay is identical.
    response = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"
