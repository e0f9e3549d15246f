"""
A bounded fuzzer of definition files: hypothesis mutates the real catalogue files (keys deleted, given
twice, values swapped or of another type, huge numbers, deep nesting, control and invisible characters,
YAML aliases, calls to other procedures, truncation, flipped bytes) and every mutant must end in one of two
ways, on SQLite and on PostgreSQL:

- clear errors, each `file:line: field: message`, and no exception; or
- a definition that loads into the database and runs: a case started with `case_start` and driven to its
  end, each task completed by a holder of its role with minimal valid data, each decision taking the branch
  nearest to an end, called procedures' child cases included, in a bounded number of steps.

CI runs FUZZ_EXAMPLES (150) examples with a fixed sequence (derandomize) in about a minute. For a longer
run that counts instead of stopping at the first failure:

    MAPRO_FUZZ_EXAMPLES=3000 MAPRO_FUZZ_TALLY=/tmp/fuzz.json \\
        pytest mapro/catalogue/tests/test_definition_fuzz.py
"""

from __future__ import annotations

import json
import os
import re
import traceback
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import transaction
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mapro.cases.models import Case, CaseTask
from mapro.cases.selectors import case_definition
from mapro.cases.services import case_start
from mapro.catalogue.definition import Definition, LoadedDefinition, load_catalogue
from mapro.catalogue.definition.schema import END
from mapro.catalogue.definition.validation import procedure_calls
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.catalogue.services import CatalogueInvalidError, procedure_versions_load
from mapro.catalogue.tests.sample_data import record_data, start_inputs, task_complete
from mapro.organization.models import Entity, Person, Role, RoleAssignment

FUZZ_EXAMPLES = int(os.environ.get("MAPRO_FUZZ_EXAMPLES", "150"))
TALLY = os.environ.get("MAPRO_FUZZ_TALLY")  # a path: count outcomes there instead of failing
MAX_STEPS = 400  # tasks completed in one run, child cases included (the longest procedure has 80)

FILES = sorted(Path(settings.PROCEDURES_DIR).rglob("*.yaml"))
TEXTS = {path: path.read_text(encoding="utf-8") for path in FILES}
REPOSITORY = catalogue_from_repository()
CODES = sorted(REPOSITORY.definitions)
KNOWN_CALLS = {code: procedure_calls(item.definition) for code, item in REPOSITORY.definitions.items()}
ERROR = re.compile(r"^(?P<path>[^\n]+?):(?P<line>[1-9][0-9]*): (?P<rest>\S[^\n]*)$")

# --- mutations ---------------------------------------------------------------------------------------------

HUGE = [0, -1, 3_000_000_000, 100_000_000, 10**30, 2**63, 10_000]
CHARS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u200b", "\u202e", "\ufeff", "\ud7ff", "\u2028"]
OTHER_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 20),
    st.sampled_from(HUGE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["", "   ", "end", "task", "decision", "call", "clock_hours", "R", "case_start"]),
    st.lists(st.integers(0, 5), max_size=3),
    st.dictionaries(st.sampled_from(["id", "name", "n", "label", "goto"]), st.integers(0, 5), max_size=2),
)


def positions(tree: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in the document, without recursion."""
    found, pending = [], [tree]
    while pending:
        node = pending.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            found.append((node, key))
            pending.append(value)
    return found


def nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def mutate_tree(draw: st.DrawFn, tree: dict) -> None:
    places = positions(tree)
    op = draw(st.sampled_from(["delete", "swap", "retype", "huge", "deep", "char", "blank", "call"]))
    container, key = draw(st.sampled_from(places))
    if op == "delete":
        del container[key]
    elif op == "swap":
        other, other_key = draw(st.sampled_from(places))
        container[key], other[other_key] = other[other_key], container[key]
    elif op == "retype":
        container[key] = draw(OTHER_VALUES)
    elif op == "huge":
        ints = [(c, k) for c, k in places if type(c[k]) is int] or [(container, key)]
        container, key = draw(st.sampled_from(ints))
        container[key] = draw(st.sampled_from(HUGE))
    elif op == "deep":
        container[key] = nested(draw(st.integers(1, 40)), container[key])
    elif op in ("char", "blank"):
        texts = [(c, k) for c, k in places if isinstance(c[k], str)] or [(container, key)]
        container, key = draw(st.sampled_from(texts))
        text = str(container[key])
        at = draw(st.integers(0, len(text)))
        container[key] = (
            text[:at] + draw(st.sampled_from(CHARS)) + text[at:]
            if op == "char"
            else draw(st.sampled_from(["", " ", "\u3000", "\t"]))
        )
    elif tree.get("activities"):  # call: an activity becomes a call to some catalogue procedure
        activity = draw(st.sampled_from(tree["activities"]))
        if isinstance(activity, dict):
            activity.pop("decision", None)
            activity.update(kind="call", call={"procedure": draw(st.sampled_from(CODES))})


def mutate_text(draw: st.DrawFn, text: str) -> str | bytes:
    op = draw(st.sampled_from(["duplicate", "alias", "truncate", "flip", "raw_char", "deep_text"]))
    lines = text.splitlines(keepends=True)
    keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*(- )?[a-z_]+: \S", line)] or [0]
    if op == "duplicate":
        i = draw(st.sampled_from(keyed))
        lines.insert(i + 1, lines[i].replace("- ", "  ", 1))
    elif op == "alias":
        i, j = sorted(draw(st.lists(st.sampled_from(keyed), min_size=2, max_size=2)))
        lines[i] = re.sub(r": ", ": &x ", lines[i], count=1)
        lines[j] = re.sub(r": .*", ": *x", lines[j], count=1)
    elif op == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif op == "flip":
        data = bytearray(text.encode())
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= draw(st.integers(1, 255))
        return bytes(data)
    elif op == "raw_char":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(CHARS)) + text[at:]
    else:
        depth = draw(st.sampled_from([25, 1_000, 50_000]))
        lines.append(f"anidado: {'[' * depth}{']' * depth}\n")
    return "".join(lines)


@st.composite
def mutants(draw: st.DrawFn) -> tuple[Path, str | bytes]:
    path = draw(st.sampled_from(FILES))
    text: str | bytes = TEXTS[path]
    if draw(st.integers(0, 2)):  # two in three mutants change the structure, the others the text only
        tree = yaml.safe_load(text)
        for _ in range(draw(st.integers(1, 2))):
            mutate_tree(draw, tree)
        text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=120)
        if not draw(st.integers(0, 2)):
            text = mutate_text(draw, text)
    else:
        text = mutate_text(draw, text)
    return path, text


# --- running a loaded definition ---------------------------------------------------------------------------


def steps_to_end(d: Definition) -> dict[int, int]:
    """For each activity, how many steps it is from an end (breadth first over the reversed graph)."""
    before: dict[Any, list[int]] = {}
    for activity in d.activities:
        for target in d.successors(activity):
            before.setdefault(target, []).append(activity.n)
    distance: dict[int, int] = {}
    queue = deque((n, 1) for n in before.get(END, []))
    while queue:
        n, steps = queue.popleft()
        if n in distance:
            continue
        distance[n] = steps
        queue.extend((m, steps + 1) for m in before.get(n, []))
    return distance


def branch_to_end(d: Definition, n: int) -> str | None:
    decision = d.activity(n).decision
    if decision is None:
        return None
    distance = steps_to_end(d)

    def steps(goto: Any) -> int:  # a branch that opens several activities at once: the nearest of them
        targets = goto if isinstance(goto, list) else [goto]
        return min(0 if t == END else distance.get(t, 10**6) for t in targets)

    return min(decision.branches, key=lambda b: steps(b.goto)).label


def actor_for(entity: Entity) -> Person:
    """A person of `entity` holding every role the entity has (created inside the example's savepoint)."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=f"fuzz.{entity.code.lower()}")
    person, _ = Person.objects.get_or_create(
        user=user, defaults={"entity": entity, "full_name": "Persona de prueba", "email": "fuzz@mapro.local"}
    )
    held = set(RoleAssignment.objects.filter(person=person).values_list("role_id", flat=True))
    RoleAssignment.objects.bulk_create(
        RoleAssignment(person=person, role=role, starts_on="2020-01-01")
        for role in Role.objects.filter(entity=entity).exclude(pk__in=held)
    )
    return person


def run_case(d: Definition) -> str | None:
    """Start a case of `d` and drive it to its end; None when it closed, else what went wrong."""
    entity = Entity.objects.get(code=d.entity.value)
    case = case_start(
        procedure_code=d.code,
        requester=actor_for(entity),
        inputs=start_inputs(d),
        flow=d.flows[0].id if d.flows else None,
    )
    for _ in range(MAX_STEPS):
        case.refresh_from_db()
        if case.status == Case.Status.CLOSED:
            return None
        task = (
            CaseTask.objects.filter(status=CaseTask.Status.OPEN)
            .exclude(kind="call")
            .select_related("case__procedure_version", "case__entity")
            .order_by("pk")
            .first()
        )
        if task is None:
            return f"el expediente quedó {case.status} sin tareas abiertas"
        task_definition = case_definition(case=task.case)
        task_complete(
            task_id=task.pk,
            actor=actor_for(task.case.entity),
            decision=branch_to_end(task_definition, task.activity),
            data=record_data(task_definition, task.activity),
        )
    return f"no terminó en {MAX_STEPS} pasos"


# --- the property ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # error | runs | process_map | traceback | broken
    detail: str = ""


def examine(original: Path, text: str | bytes, folder: Path) -> Outcome:
    path = folder / original.name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        catalogue = load_catalogue([path], known_codes=CODES, known_calls=KNOWN_CALLS)
    except Exception:  # what the fuzzer is looking for
        return Outcome("traceback", traceback.format_exc())
    if catalogue.errors:
        unclear = [str(e) for e in catalogue.errors if not ERROR.match(str(e)) or not e.message.strip()]
        return (
            Outcome("broken", "\n".join(unclear)) if unclear else Outcome("error", str(catalogue.errors[0]))
        )
    if not catalogue.definitions:
        return Outcome("process_map")
    (loaded,) = catalogue.definitions.values()
    return load_and_run(catalogue, loaded)


def load_and_run(catalogue: Any, loaded: LoadedDefinition) -> Outcome:
    try:
        with transaction.atomic():
            try:
                procedure_versions_load(catalogue=catalogue)
            except CatalogueInvalidError as exc:
                lines = str(exc).splitlines()
                clear = all(ERROR.match(line) for line in lines)
                transaction.set_rollback(True)
                return Outcome("error" if clear else "broken", str(exc))
            problem = run_case(loaded.definition)
            transaction.set_rollback(True)
    except Exception:  # accepted, then failed to load or to run
        return Outcome("broken", traceback.format_exc())
    return Outcome("broken", problem) if problem else Outcome("runs")


@pytest.fixture(scope="module")
def tally():
    counts: Counter[str] = Counter()
    samples: dict[str, list[str]] = {}
    yield counts, samples
    if TALLY:
        Path(TALLY).write_text(
            json.dumps({"counts": counts, "samples": samples}, ensure_ascii=False, indent=1)
        )


@pytest.mark.django_db
def test_every_mutant_is_refused_clearly_or_loads_and_runs(tmp_path, tally):
    procedure_versions_load()  # the called procedures, and the current versions the mutants replace
    counts, samples = tally

    @seed(20261206)
    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=not TALLY,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutants())
    def check(mutant: tuple[Path, str | bytes]) -> None:
        outcome = examine(*mutant, tmp_path)
        counts[outcome.kind] += 1
        if outcome.kind in ("traceback", "broken"):
            samples.setdefault(outcome.kind, []).append(f"{mutant[0].name}: {outcome.detail[-1500:]}")
        if not TALLY:
            assert outcome.kind in ("error", "runs", "process_map"), f"{mutant[0].name}\n{outcome.detail}"

    check()
    assert counts["runs"] > 0 and counts["error"] > 0, counts  # both ends are reached
