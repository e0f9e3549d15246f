"""
Anchor files: the heads of the chains, written outside the database once a day and signed with the audit
key, so that `verify` can tell what the database held then (docs/audit.md).

One file per day, `anchors-YYYY-MM-DD.jsonl`, one JSON line per chain:
    {"v": 1, "day": "2026-12-06", "chain": "MVCS", "seq": 120, "hash": "…", "event_at": "…", "at": "…",
     "kid": "…", "sig": "…"}
`sig` is the HMAC-SHA256, with the key named by `kid`, of the line's other fields as canonical JSON. Lines are
only appended; a chain already anchored that day is not anchored again, whoever runs (two workers, a
restart, an operator): an exclusive lock on `DIR/.lock` serialises the writers.

This module only reads and writes files; it knows nothing of the database.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hmac
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .keys import AuditKey

VERSION = 1
PATTERN = "anchors-*.jsonl"


@dataclass(frozen=True)
class Head:
    chain: str
    seq: int
    hash: str
    event_at: str  # ISO time of the head's event ("" when the event is not there)


@dataclass(frozen=True)
class Anchor:
    day: str
    chain: str
    seq: int
    hash: str
    where: str  # "file:line", for reports


@dataclass(frozen=True)
class AnchorFileProblem:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"ancla {self.where}: {self.reason}"


def _payload(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def anchor_line(*, head: Head, day: dt.date, at: dt.datetime, key: AuditKey) -> str:
    fields = {
        "v": VERSION,
        "day": day.isoformat(),
        "chain": head.chain,
        "seq": head.seq,
        "hash": head.hash,
        "event_at": head.event_at,
        "at": at.isoformat(timespec="seconds"),
        "kid": key.kid,
    }
    fields["sig"] = key.sign(_payload(fields))
    return json.dumps(fields, sort_keys=True, ensure_ascii=False) + "\n"


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def day_file(directory: Path, day: dt.date) -> Path:
    return directory / f"anchors-{day.isoformat()}.jsonl"


def _chains_in(path: Path) -> set[str]:
    chains = set()
    if path.exists():
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                chains.add(json.loads(raw)["chain"])
            except (ValueError, KeyError, TypeError):
                continue  # an unreadable line anchors nothing; `verify` reports it
    return chains


def anchor_file_append(
    *, directory: Path, day: dt.date, at: dt.datetime, heads: Iterable[Head], key: AuditKey
) -> list[Head]:
    """Append a signed line for each head whose chain has none yet in the day's file; returns those heads."""
    with _locked(directory):
        path = day_file(directory, day)
        done = _chains_in(path)
        new = [head for head in heads if head.chain not in done]
        if not new:
            return []
        text = "".join(anchor_line(head=head, day=day, at=at, key=key) for head in new)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            if os.fstat(fd).st_size and not path.read_bytes().endswith(b"\n"):
                text = "\n" + text  # after a line cut short by a crash, start a fresh line
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return new


def anchors_read(
    *, directory: Path, keys: Iterable[AuditKey]
) -> tuple[list[Anchor], list[AnchorFileProblem]]:
    """Every anchor whose signature verifies, and a problem for each line that does not or cannot be read."""
    by_kid = {key.kid: key for key in keys}
    anchors: list[Anchor] = []
    problems: list[AnchorFileProblem] = []
    for path in sorted(directory.glob(PATTERN)) if directory.is_dir() else []:
        for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            where = f"{path.name}:{number}"
            try:
                fields = json.loads(raw)
                sig = fields.pop("sig")
                key = by_kid.get(fields["kid"])
                anchor = Anchor(fields["day"], fields["chain"], int(fields["seq"]), fields["hash"], where)
            except (ValueError, KeyError, TypeError, AttributeError):
                problems.append(AnchorFileProblem(where, "línea ilegible (escrita a medias o alterada)"))
                continue
            if key is None:
                problems.append(
                    AnchorFileProblem(where, f"firmada con una clave que no se tiene ({fields['kid']})")
                )
            elif not hmac.compare_digest(key.sign(_payload(fields)), str(sig)):
                problems.append(AnchorFileProblem(where, "la firma no corresponde: la línea fue alterada"))
            else:
                anchors.append(anchor)
    return anchors, problems
