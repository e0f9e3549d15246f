"""
Writing and verifying the audit trail.

`audit_event_record` must run inside the transaction of the change it records (every service calls it
last, so the chain head's row lock is held for the shortest time).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

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
    if head is None:  # the chain's first event
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
    event.save()
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"cadena {self.chain}, evento {self.seq}: {self.reason}"


def audit_chain_verify(*, chain: str) -> ChainProblem | None:
    """Walk one chain in order; the first event edited, deleted or reordered, or None when intact."""
    expected_prev, expected_seq = "0" * 64, 1
    for event in AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainProblem(
                chain, expected_seq, "falta el evento (eliminado) o la secuencia fue alterada"
            )
        if event.prev_hash != expected_prev:
            return ChainProblem(
                chain, event.seq, "no enlaza con el evento anterior (reordenado o reemplazado)"
            )
        if event_hash(event) != event.hash:
            return ChainProblem(chain, event.seq, "su contenido fue modificado después de registrarse")
        expected_prev, expected_seq = event.hash, event.seq + 1
    head = AuditChainHead.objects.filter(chain=chain).first()
    if head is not None and (head.seq, head.hash) != (expected_seq - 1, expected_prev):
        return ChainProblem(chain, expected_seq, "faltan eventos al final de la cadena (eliminados)")
    return None


def audit_verify_all() -> tuple[int, list[ChainProblem]]:
    """(events checked, problems) over every chain."""
    chains = set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    chains |= set(AuditChainHead.objects.values_list("chain", flat=True))
    problems = [p for chain in sorted(chains) if (p := audit_chain_verify(chain=chain)) is not None]
    return AuditEvent.objects.count(), problems
