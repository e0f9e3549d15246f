"""Anchors: one signed line per chain per day, whoever runs; a line altered or signed elsewhere is named."""

import datetime as dt
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from mapro.audit.anchors import anchors_read, day_file
from mapro.audit.keys import audit_keys
from mapro.audit.services import audit_anchor_write, audit_heads
from mapro.audit.tasks import audit_anchor_tick
from mapro.deadlines.calendar import LIMA

from .conftest import chain_write, problems

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 6, 12, 0, tzinfo=LIMA)


def lines(path) -> list[dict]:
    return [json.loads(raw) for raw in path.read_text().splitlines()]


def test_one_anchor_per_chain_per_day_new_chains_the_same_day_and_a_new_file_the_next(tmp_path):
    chain_write("T", 3)
    heads = audit_heads()
    assert len(audit_anchor_write(directory=tmp_path, now=NOON)) == len(heads)
    chain_write("T", 2)  # more events the same day: not anchored again
    assert audit_anchor_write(directory=tmp_path, now=NOON + dt.timedelta(hours=1)) == []
    chain_write("U", 1)  # a chain born later that day is
    assert [h.chain for h in audit_anchor_write(directory=tmp_path, now=NOON)] == ["U"]
    today = lines(day_file(tmp_path, NOON.date()))
    assert sorted(line["chain"] for line in today) == sorted([h.chain for h in heads] + ["U"])
    assert next(line for line in today if line["chain"] == "T")["seq"] == 3

    tomorrow = NOON + dt.timedelta(days=1)
    audit_anchor_write(directory=tmp_path, now=tomorrow)
    assert (
        next(line for line in lines(day_file(tmp_path, tomorrow.date())) if line["chain"] == "T")["seq"] == 5
    )
    anchors, found = anchors_read(directory=tmp_path, keys=audit_keys())
    assert found == []
    assert len(anchors) == len(today) + len(heads) + 1
    assert problems(tmp_path) == []


def test_the_worker_task_anchors_once_a_day(tmp_path, settings):
    settings.AUDIT_ANCHOR_DIR = tmp_path
    chain_write("T", 1)
    assert audit_anchor_tick.call_local() == len(audit_heads())
    assert audit_anchor_tick.call_local() == 0  # the next hour, a restart, a second worker


def test_two_processes_at_once_write_each_chain_once(tmp_path):
    """Two workers (real processes) racing over the same day's file: the lock leaves one line per chain."""
    script = f"""
import datetime as dt
from pathlib import Path
from mapro.audit.anchors import Head, anchor_file_append
from mapro.audit.keys import AuditKey
key = AuditKey(b"k", "prueba", "prueba")
heads = [Head(f"C{{n}}", n + 1, "ab" * 32, "") for n in range(40)]
for _ in range(30):
    anchor_file_append(directory=Path({str(tmp_path)!r}), day=dt.date(2026, 12, 6),
                       at=dt.datetime(2026, 12, 6, tzinfo=dt.UTC), heads=heads, key=key)
"""
    workers = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
    chains = [line["chain"] for line in lines(day_file(tmp_path, dt.date(2026, 12, 6)))]
    assert sorted(chains) == sorted(f"C{n}" for n in range(40))


def test_an_altered_line_a_foreign_key_and_a_cut_line_are_named(tmp_path, settings):
    chain_write("T", 2)
    audit_anchor_write(directory=tmp_path, now=NOON)
    path = day_file(tmp_path, NOON.date())
    rows = lines(path)
    row = next(r for r in rows if r["chain"] == "T")
    row["seq"] = 1  # an anchor moved back to match a shortened chain
    rows[rows.index(next(r for r in rows if r["chain"] == "T"))] = row
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"v": 1, "day": "2026-')  # and a cut line
    found = problems(tmp_path)
    line_t = 1 + [r["chain"] for r in rows].index("T")
    assert f"ancla {path.name}:{line_t}: la firma no corresponde: la línea fue alterada" in found
    assert f"ancla {path.name}:{len(rows) + 1}: línea ilegible (escrita a medias o alterada)" in found

    # The next run starts a new line after the cut one; another installation's key is not ours.
    settings.AUDIT_KEY = "otra-instalacion"
    chain_write("V", 1)
    audit_anchor_write(directory=tmp_path, now=NOON)
    settings.AUDIT_KEY = None
    settings.SECRET_KEY = "ni-esta"
    found = problems(tmp_path)
    assert any(
        p.startswith(f"ancla {path.name}:{len(rows) + 2}: firmada con una clave que no se tiene")
        for p in found
    )


def test_the_commands(tmp_path, capsys):
    chain_write("T", 2)
    call_command("audit", "anchor", "--dir", str(tmp_path))
    out = capsys.readouterr().out
    assert "anclada: cadena T, evento 2" in out
    call_command("audit", "anchor", "--dir", str(tmp_path))
    assert "ya tenían su ancla de hoy" in capsys.readouterr().out
    call_command("audit", "verify", "--anchors", str(tmp_path))
    assert "anclas de 1 días" in capsys.readouterr().out
    path = next(tmp_path.glob("anchors-*.jsonl"))
    path.write_text(path.read_text().replace('"seq": 2', '"seq": 3'))
    with pytest.raises(CommandError, match="problemas"):
        call_command("audit", "verify", "--anchors", str(tmp_path))
    assert "la firma no corresponde" in capsys.readouterr().err
