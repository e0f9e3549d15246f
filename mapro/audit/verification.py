"""
`mapro audit verify`: what the database holds against what mapro wrote.

Per chain, in order: every link (seq, previous hash, own hash), every event's MAC (only the audit key makes
one), the head row against the last event, and every anchored head (seq, hash) against the event there.
Then the anchors of chains that no longer exist, the database's own protection (triggers), and with
`deep` the state of cases and tasks against the events that vouch for it (mapro/audit/deep.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from .anchors import Anchor, AnchorFileProblem
from .keys import event_mac_valid
from .models import AuditChainHead, AuditEvent
from .protection import protection_problems
from .services import event_hash

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"cadena {self.chain}" + (f", evento {self.seq}" if self.seq is not None else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class DatabaseProblem:
    reason: str

    def __str__(self) -> str:
        return f"base de datos: {self.reason}"


@dataclass
class VerifyReport:
    events: int = 0
    chains: int = 0
    anchors: int = 0
    anchor_days: set[str] = field(default_factory=set)
    cases: int = 0  # checked by `deep`
    tasks: int = 0
    problems: list[object] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _forged(chain: str, first: int, last: int) -> ChainProblem:
    span = f"el evento {first} no tiene" if first == last else f"los eventos {first} a {last} no tienen"
    return ChainProblem(
        chain,
        first,
        f"{span} la firma (MAC) de mapro: los escribió alguien sin la clave de auditoría (insertados, o "
        "reescritos junto con los que les siguen)",
    )


def _head_problem(
    chain: str, head: AuditChainHead | None, last_seq: int, last_hash: str
) -> ChainProblem | None:
    if head is None:
        if last_seq == 0:
            return None
        return ChainProblem(
            chain, None, f"falta la fila de cabeza (eliminada); el último evento es el {last_seq}"
        )
    if head.seq > last_seq:
        return ChainProblem(
            chain,
            last_seq + 1,
            f"faltan los eventos {last_seq + 1} a {head.seq} al final de la cadena (eliminados)",
        )
    if head.seq < last_seq:
        return ChainProblem(
            chain,
            head.seq + 1,
            f"eventos {head.seq + 1} a {last_seq} insertados después de la cabeza (que indica {head.seq})",
        )
    if head.hash != last_hash:
        return ChainProblem(chain, last_seq, "la cabeza no coincide con el último evento (reemplazado)")
    return None


def audit_chain_verify(*, chain: str, anchors: Sequence[Anchor] = ()) -> tuple[int, list[ChainProblem]]:
    """(events read, problems) of one chain; a broken link ends the walk (what follows cannot be trusted)."""
    anchored: dict[int, list[Anchor]] = defaultdict(list)
    for anchor in anchors:
        anchored[anchor.seq].append(anchor)
    problems: list[ChainProblem] = []
    forged: list[int] = []
    expected_prev, expected_seq, read = GENESIS, 1, 0
    events = AuditEvent.objects.filter(chain=chain).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        read += 1
        broken = None
        if event.seq != expected_seq:
            broken = ChainProblem(
                chain, expected_seq, "falta el evento (eliminado) o la secuencia fue alterada"
            )
        elif event.prev_hash != expected_prev:
            broken = ChainProblem(
                chain, event.seq, "no enlaza con el evento anterior (reordenado o reemplazado)"
            )
        elif event_hash(event) != event.hash:
            broken = ChainProblem(chain, event.seq, "su contenido fue modificado después de registrarse")
        if broken is not None:
            if forged:
                problems.append(_forged(chain, forged[0], forged[-1]))
            return read, [*problems, broken]
        if not (event.mac and event_mac_valid(event.hash, event.mac)):
            forged.append(event.seq)
        for anchor in anchored.pop(event.seq, ()):
            if anchor.hash != event.hash:
                problems.append(
                    ChainProblem(
                        chain,
                        event.seq,
                        f"no es el evento que anotó el ancla del {anchor.day} ({anchor.where}): reescrito",
                    )
                )
        expected_prev, expected_seq = event.hash, event.seq + 1
    last_seq = expected_seq - 1
    if forged:
        problems.append(_forged(chain, forged[0], forged[-1]))
    head = AuditChainHead.objects.filter(chain=chain).first()
    if (problem := _head_problem(chain, head, last_seq, expected_prev)) is not None:
        problems.append(problem)
    if anchored:  # anchored beyond the last event: the highest such anchor says it all
        seq = max(anchored)
        anchor = anchored[seq][0]
        if last_seq == 0 and head is None:
            reason = f"la cadena ya no existe: el ancla del {anchor.day} ({anchor.where}) anotó {seq} eventos"
            problems.append(ChainProblem(chain, None, reason + " (eliminada con su cabeza)"))
        else:
            problems.append(
                ChainProblem(
                    chain,
                    last_seq + 1,
                    f"faltan los eventos {last_seq + 1} a {seq}, que el ancla del {anchor.day} "
                    f"({anchor.where}) anotó (eliminados)",
                )
            )
    return read, problems


def audit_verify_all(
    *,
    anchors: Sequence[Anchor] | None = None,
    anchor_problems: Sequence[AnchorFileProblem] = (),
    deep: bool = False,
) -> VerifyReport:
    """Verify every chain (those of the database and those the anchors name); `deep` adds cases and tasks."""
    report = VerifyReport(problems=list(anchor_problems))
    by_chain: dict[str, list[Anchor]] = defaultdict(list)
    for anchor in anchors or ():
        by_chain[anchor.chain].append(anchor)
        report.anchor_days.add(anchor.day)
    report.anchors = len(anchors or ())
    chains = set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    chains |= set(AuditChainHead.objects.values_list("chain", flat=True)) | set(by_chain)
    for chain in sorted(chains):
        read, problems = audit_chain_verify(chain=chain, anchors=by_chain.get(chain, ()))
        report.events += read
        report.problems += problems
    report.chains = len(chains)
    report.problems += [DatabaseProblem(reason) for reason in protection_problems()]
    if deep:
        from .deep import audit_state_verify

        report.cases, report.tasks, mismatches = audit_state_verify()
        report.problems += mismatches
    return report
