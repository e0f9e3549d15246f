"""
The append-only, hash-chained audit trail.

Each entity has its own chain: event `seq` n stores the hash of event n-1 and its own hash over its content
and that previous hash, so an edited, deleted or reordered row breaks the chain at that point
(`mapro audit verify`). Events are written by services in the same transaction as the change they record.

What a hash chain alone cannot show (a forged event with a valid hash, a rewound head, a chain deleted
whole) is covered by a MAC per event with a key outside the database, by signed anchors of the chain heads
in files outside it, and by triggers that refuse UPDATE and DELETE (docs/audit.md, decision 0012).
"""

from django.db import models

from mapro.core.errors import ApplicationError


class AppendOnlyError(ApplicationError):
    pass


class AuditChainBrokenError(ApplicationError):
    """A chain lost its head row (deleted in the database): nothing is recorded on it until it is restored."""

    status_code = 503


class AuditChainHead(models.Model):
    """The last link of an entity's chain; its row lock serialises appends to that chain."""

    chain = models.CharField(max_length=20, primary_key=True)  # entity code, or "_system"
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = "cabeza de cadena de auditoría"

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"


class AuditEvent(models.Model):
    chain = models.CharField(max_length=20)
    seq = models.BigIntegerField()
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        "organization.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)  # kept as written: people get renamed
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # HMAC-SHA256 of `hash` with the audit key, which is not in the database: only mapro writes a valid one.
    # Events written before it existed got theirs from migration 0002 (they vouch for the trail as it was).
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "evento de auditoría"
        verbose_name_plural = "eventos de auditoría"
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_seq_per_chain")]
        indexes = [models.Index(fields=["case", "seq"])]
        ordering = ["chain", "seq"]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Los eventos de auditoría no se modifican.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Los eventos de auditoría no se eliminan.")
