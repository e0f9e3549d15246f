"""
For every catalogue procedure: drive every decision branch to an end through the REST API, each task
completed by a person holding its role, and check the tasks appear in the order the definition gives.

Paths come from the definition graph (not from the engine): for each branch not yet covered, the shortest
way from a start to the decision, the branch, then the shortest way to an end.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.schema import END
from mapro.catalogue.tests.sample_data import record_data, start_inputs

from .conftest import person

CATALOGUE = load_catalogue([Path(settings.PROCEDURES_DIR)])
Step = tuple[int, str | None]  # (activity, branch label taken there)


def edges(d: Definition, n: int) -> list[tuple[int | str, str | None]]:
    activity = d.activity(n)
    if activity.decision:
        return [(b.goto, b.label) for b in activity.decision.branches]
    return [(target, None) for target in d.successors(activity)]


def shortest(d: Definition, sources: list[int], goal) -> list[Step] | None:
    """Steps from one of `sources` until `goal(n)` holds (goal node included, its label None)."""
    queue = deque([(s, [(s, None)]) for s in sources])
    seen = set(sources)
    while queue:
        n, path = queue.popleft()
        if goal(n):
            return path
        for target, label in edges(d, n):
            if target == END:
                continue
            if target not in seen:
                seen.add(target)
                queue.append((target, [*path[:-1], (n, label), (target, None)]))
    return None


def to_end(d: Definition, n: int) -> list[Step]:
    """From activity n (inclusive) to an end, taking the first branch that leads there soonest."""
    queue = deque([(n, [])])
    seen = {n}
    while queue:
        current, path = queue.popleft()
        for target, label in edges(d, current):
            if target == END:
                return [*path, (current, label)]
            if target not in seen:
                seen.add(target)
                queue.append((target, [*path, (current, label)]))
    raise AssertionError(f"{d.code}: no end from {n}")


def covering_paths(d: Definition) -> list[tuple[int, list[Step]]]:
    """(start activity, steps) paths that together take every branch of every decision."""
    paths: list[tuple[int, list[Step]]] = []
    covered: set[Step] = set()
    starts = d.start_activities()
    for start in starts:
        steps = to_end(d, start)
        paths.append((start, steps))
        covered.update(steps)
    for activity in d.activities:
        for target, label in edges(d, activity.n):
            if label is None or (activity.n, label) in covered:
                continue
            for start in starts:
                prefix = shortest(d, [start], lambda n, a=activity.n: n == a)
                if prefix is not None:
                    break
            assert prefix is not None
            tail = [] if target == END else to_end(d, target)
            steps = [*prefix[:-1], (activity.n, label), *tail]
            paths.append((start, steps))
            covered.update(steps)
    return paths


def drive(client_for, entity: str, number: str, d: Definition, steps: list[Step]) -> list[int]:
    """Complete the path's tasks through the API; returns the activity numbers in completion order."""
    done = []
    # Reads go through someone who may read the case (access.py): the holder of its open task, then the last
    # person who completed one. The role of a call activity alone does not read it once the call went on.
    reader = client_for(person(entity, d.activity(steps[0][0]).role))
    case = reader.get(f"/api/v1/cases/{number}/").json()
    for n, label in steps:
        client = client_for(person(entity, d.activity(n).role))
        call = d.activity(n).call
        if call:  # the case as a whole: its child cases and its completed call tasks
            case = reader.get(f"/api/v1/cases/{number}/").json()
        open_tasks = [t for t in case["tasks"] if t["status"] == "open"]
        sends_request = call and d.activity(n).records  # a person completes it; then the child starts
        if call and not call.wait and not sends_request:  # the parent went on at once
            assert any(t["activity"] == n and t["status"] == "completed" for t in case["tasks"]), (d.code, n)
        else:
            assert [t["activity"] for t in open_tasks] == [n], f"{d.code}: expected {n}, open {open_tasks}"
        if sends_request:
            payload = {"data": record_data(d, n)}
            response = client.post(f"/api/v1/tasks/{open_tasks[0]['id']}/complete/", payload, format="json")
            assert response.status_code == 200, (d.code, n, response.json())
            reader = client
            case = reader.get(f"/api/v1/cases/{number}/").json()
        if call:
            child_definition = CATALOGUE.definitions[call.procedure].definition
            child_start = child_definition.start_activities()[0]
            drive(
                client_for,
                entity,
                case["children"][-1],
                child_definition,
                to_end(child_definition, child_start),
            )
            case = reader.get(f"/api/v1/cases/{number}/").json()
        else:
            payload = {"decision": label, "data": record_data(d, n)}
            response = client.post(f"/api/v1/tasks/{open_tasks[0]['id']}/complete/", payload, format="json")
            assert response.status_code == 200, (d.code, n, response.json())
            progress = response.json()  # the completion answers with the case's state and open tasks
            assert progress["task"]["status"] == "completed" and progress["task"]["activity"] == n
            case = {"status": progress["case"]["status"], "tasks": progress["open_tasks"]}
            reader = client
        done.append(n)
    assert case["status"] == "closed", (
        d.code,
        case["status"],
        [t for t in case["tasks"] if t["status"] == "open"],
    )
    return done


@pytest.fixture
def client_for():
    def make(actor):
        client = APIClient()
        client.force_authenticate(user=actor.user)
        return client

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(CATALOGUE.definitions))
def test_every_branch_reaches_an_end_through_the_api(code, client_for):
    d = CATALOGUE.definitions[code].definition
    entity = d.entity.value
    for start, steps in covering_paths(d):
        requester = person(entity, d.activity(start).role)
        payload = {"procedure": code, "inputs": start_inputs(d)}
        if d.flows:
            payload["flow"] = next(f.id for f in d.flows if f.start == start)
        response = client_for(requester).post("/api/v1/cases/", payload, format="json")
        assert response.status_code == 201, response.json()
        completed = drive(client_for, entity, response.json()["number"], d, steps)
        assert completed == [n for n, _ in steps]
