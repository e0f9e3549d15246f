"""
Writing, anchoring and verifying the audit trail.

`audit_event_record` must run inside the transaction of the change it records (every service calls it
last, so the chain head's row lock is held for the shortest time). It signs each event with the audit key
(mapro/audit/keys.py): no query more, one HMAC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .anchors import Head, anchor_file_append
from .keys import audit_keys, event_mac
from .models import AuditChainBrokenError, AuditChainHead, AuditEvent

SYSTEM_CHAIN = "_system"


def _canonical(value: Any) -> Any:
    """JSON-safe and stable: what is hashed is exactly what the JSON column gives back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


def event_hash(event: AuditEvent) -> str:
    content = {
        "chain": event.chain,
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "case": event.case_id,
        "summary": event.summary,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def audit_event_record(
    *,
    chain: str,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    actor: Any = None,
    actor_label: str | None = None,
    case: Any = None,
    summary: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append one event to `chain` (an entity code). Needs an open transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are written in the transaction of the change they record")
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:  # the chain's first event, unless its head row was deleted
        if AuditEvent.objects.filter(chain=chain).exists():
            raise AuditChainBrokenError(
                f"El registro de auditoría de {chain} está dañado (falta la cabeza de su cadena): no se "
                "registran cambios hasta que un administrador lo revise con «mapro audit verify»."
            )
        AuditChainHead.objects.get_or_create(chain=chain)
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
    event = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor=actor,
        actor_label=actor_label or (str(actor) if actor is not None else "sistema"),
        action=action,
        object_type=object_type or (obj._meta.label if obj is not None else ""),
        object_id=object_id or (str(obj.pk) if obj is not None else ""),
        case=case,
        summary=summary[:300],
        before=_canonical(before),
        after=_canonical(after),
        prev_hash=head.hash,
    )
    event.hash = event_hash(event)
    event.mac = event_mac(event.hash)
    event.save()
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


def anchor_directory() -> Path:
    """Anchor files go to AUDIT_ANCHOR_DIR, or env MAPRO_AUDIT_ANCHOR_DIR, or VAR_DIR/audit-anchors/."""
    configured = getattr(settings, "AUDIT_ANCHOR_DIR", None) or os.environ.get("MAPRO_AUDIT_ANCHOR_DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit-anchors"


def audit_heads() -> list[Head]:
    """Every chain's head as the database has it now, with the time of its event."""
    event_at = AuditEvent.objects.filter(chain=OuterRef("chain"), seq=OuterRef("seq")).values("occurred_at")[
        :1
    ]
    rows = AuditChainHead.objects.filter(seq__gt=0).annotate(event_at=Subquery(event_at)).order_by("chain")
    return [
        Head(
            row.chain,
            row.seq,
            row.hash,
            row.event_at.isoformat(timespec="microseconds") if row.event_at else "",
        )
        for row in rows
    ]


def audit_anchor_write(*, directory: Path | None = None, now: dt.datetime | None = None) -> list[Head]:
    """
    Anchor every chain's head in today's file (Lima date), signed with the current audit key; returns the
    heads written. Idempotent per chain and day: chains already anchored today are left as they are.
    """
    now = now or timezone.now()
    return anchor_file_append(
        directory=directory or anchor_directory(),
        day=timezone.localdate(now),
        at=now,
        heads=audit_heads(),
        key=audit_keys()[0],
    )
