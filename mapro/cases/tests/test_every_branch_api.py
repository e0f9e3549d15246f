"""
For every catalogue procedure: drive every decision branch to an end through the REST API, each task
completed by a person holding its role.

Paths come from the definition graph (not from the engine): for each branch not yet covered, the shortest
way from a start to the decision, the branch, then the shortest way to an end. A path is a plan of decision
choices: the driver completes the case's open tasks until it closes, answering each decision as the plan
says (in the order the path visits it) and, off the plan, with the branch nearest to an end. With parallel
branches several tasks are open at once; the driver picks one by an order of completion, and every split
is driven in two orders: the first branch first, and the last branch first (docs/decisions/0016). Without
parallel branches a path's tasks must appear exactly in its order, one at a time.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.schema import END, REQUESTER, ActivityKind, activity_numbers
from mapro.catalogue.tests.sample_data import decision_reason, role_record_data, start_inputs

from .conftest import person

CATALOGUE = load_catalogue([Path(settings.PROCEDURES_DIR)])
Step = tuple[int, str | None]  # (activity, branch label taken there)
FIRST, LAST = "first-branch-first", "last-branch-first"


def edges(d: Definition, n: int) -> list[tuple[int | str, str | None]]:
    """(target, label) of every way out of n; a branch to several activities gives one per target."""
    activity = d.activity(n)
    if activity.decision:
        return [(t, b.label) for b in activity.decision.branches for t in activity_numbers(b.goto)]
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


def flow_starts(d: Definition) -> dict[int, str | None]:
    """Each start activity, with the flow it begins (None without flows)."""
    if d.flows:
        return {n: f.id for f in d.flows for n in activity_numbers(f.start)}
    return dict.fromkeys(d.start_activities())


def covering_paths(d: Definition) -> list[tuple[int, list[Step]]]:
    """(start activity, steps) paths that together take every branch of every decision."""
    paths: list[tuple[int, list[Step]]] = []
    covered: set[Step] = set()
    starts = list(flow_starts(d))
    firsts = [activity_numbers(f.start)[0] for f in d.flows] or starts[:1]
    for start in firsts:
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


def distances_to_end(d: Definition) -> dict[int, int]:
    """Fewest activities from each activity to an end (over every way out, parallel branches included)."""
    distance: dict[int, int] = {}
    changed = True
    while changed:
        changed = False
        for a in d.activities:
            options = [0 if t == END else distance[t] for t, _ in edges(d, a.n) if t == END or t in distance]
            if options and distance.get(a.n, 10**6) > 1 + min(options):
                distance[a.n] = 1 + min(options)
                changed = True
    return distance


def splits_of(d: Definition, start: int, steps: list[Step]) -> set[tuple]:
    """The parallel splits a path goes through: a list start, an activity with `parallel`, a list branch."""
    found = set()
    flow = flow_starts(d)[start]
    start_refs = next((f.start for f in d.flows if f.id == flow), None) if d.flows else d.start
    if isinstance(start_refs, list) and len(start_refs) > 1:
        found.add(("start", flow))
    for n, label in steps:
        activity = d.activity(n)
        if activity.parallel:
            found.add(("activity", n))
        for branch in activity.decision.branches if activity.decision else []:
            if branch.label == label and isinstance(branch.goto, list):
                found.add(("branch", n, label))
    return found


def drives(d: Definition) -> list[tuple[int, list[Step], str]]:
    """One drive per path; each split is driven once more in the other order, on the first path through it."""
    plans = [(start, steps, FIRST) for start, steps in covering_paths(d)]
    reversed_splits: set[tuple] = set()
    for start, steps, _ in list(plans):
        new = splits_of(d, start, steps) - reversed_splits
        if new:
            reversed_splits |= new
            plans.append((start, steps, LAST))
    return plans


@dataclass
class Driver:
    """Completes a case's open tasks through the API until it closes, following a plan of decisions."""

    client_for: object
    entity: str
    d: Definition
    plan: dict[int, deque[str]]
    requester: object = None
    order: str = FIRST
    done: list[Step] = field(default_factory=list)
    seen_at: dict[int, int] = field(default_factory=dict)  # task id -> step in which it was first open
    driven_children: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.distance = distances_to_end(self.d)

    def client(self, task: dict) -> APIClient:
        """Someone who may complete the task: the requester for theirs, else a holder of one of its roles."""
        if task["roles"] == [REQUESTER]:
            return self.client_for(self.requester)
        return self.client_for(person(self.entity, next(r for r in task["roles"] if r != REQUESTER)))

    def label(self, n: int) -> str | None:
        """The plan's next answer at n, or the branch nearest to an end."""
        decision = self.d.activity(n).decision
        if decision is None:
            return None
        if self.plan.get(n):
            return self.plan[n].popleft()
        nearest = {
            b.label: min(0 if t == END else self.distance[t] for t in activity_numbers(b.goto))
            for b in decision.branches
        }
        return min(decision.branches, key=lambda b: nearest[b.label]).label

    def pick(self, open_tasks: list[dict]) -> dict:
        """The newest task; of those that opened together (a split), the first or the last branch's."""
        sign = 1 if self.order == LAST else -1
        return max(open_tasks, key=lambda t: (self.seen_at[t["id"]], sign * t["id"]))

    def run(self, number: str, reader: APIClient) -> list[Step]:
        case = reader.get(f"/api/v1/cases/{number}/").json()
        for step in range(10_000):
            open_tasks = [t for t in case["tasks"] if t["status"] == "open"]
            for task in open_tasks:
                self.seen_at.setdefault(task["id"], step)
            self.check_joins(open_tasks)
            if not open_tasks:
                if case["status"] == "closed":
                    return self.done
                assert self.children(number, reader), (self.d.code, number, case["status"], "nothing open")
                case = reader.get(f"/api/v1/cases/{number}/").json()
                continue
            task = self.pick(open_tasks)
            n = task["activity"]
            activity = self.d.activity(n)
            # A call waits for its child case (drive that one), unless a person first writes its request.
            if activity.call is not None and not activity.records:
                assert self.children(number, reader), (self.d.code, n)
                case = reader.get(f"/api/v1/cases/{number}/").json()
                self.done.append((n, None))
                continue
            client, label = self.client(task), self.label(n)
            # Of an `each` activity, each role's task writes the records its role may read.
            payload = {"decision": label, "data": role_record_data(self.d, n, task["role_code"])}
            if reason := decision_reason(self.d, n, label):
                payload["reason"] = reason
            response = client.post(f"/api/v1/tasks/{task['id']}/complete/", payload, format="json")
            assert response.status_code == 200, (self.d.code, n, response.json())
            progress = response.json()  # the completion answers with the case's state and open tasks
            assert progress["task"]["status"] == "completed" and progress["task"]["activity"] == n
            self.done.append((n, label))
            reader = client
            self.check_split(n, label, progress["open_tasks"])
            case = {"status": progress["case"]["status"], "tasks": progress["open_tasks"]}
            if any(a.call and not a.call.wait for a in self.d.activities) and self.children(number, reader):
                case = reader.get(f"/api/v1/cases/{number}/").json()
        raise AssertionError(f"{self.d.code}: {number} never closed")

    def children(self, number: str, reader: APIClient) -> bool:
        """Drive the case's open child cases (called procedures) to their end; whether there was any."""
        case = reader.get(f"/api/v1/cases/{number}/").json()
        pending = [c for c in case["children"] if c not in self.driven_children]
        for child in pending:
            self.driven_children.add(child)
            code = reader.get(f"/api/v1/cases/{child}/").json()["procedure"]
            child_d = CATALOGUE.definitions[code].definition
            Driver(self.client_for, self.entity, child_d, {}, self.requester).run(child, reader)
        return bool(pending)

    def check_split(self, n: int, label: str | None, open_tasks: list[dict]) -> None:
        """Every branch a split opens is open at once, each for its own role."""
        activity = self.d.activity(n)
        if any(t["activity"] == n for t in open_tasks):  # another role's part of an `each` activity is open
            return
        targets = list(activity.parallel)
        for branch in activity.decision.branches if activity.decision else []:
            if branch.label == label and isinstance(branch.goto, list):
                targets = branch.goto
        opened = {t["activity"]: t for t in open_tasks}
        for target in targets:
            assert target in opened, (self.d.code, n, target, sorted(opened))
            assert opened[target]["role_code"] == self.d.activity(target).role

    def check_joins(self, open_tasks: list[dict]) -> None:
        """A join's task opens only when no task that could still reach it is open."""
        for task in open_tasks:
            join = self.d.activity(task["activity"])
            if not join.join:
                continue
            for other in open_tasks:
                if other["activity"] != join.n and reaches(self.d, other["activity"], join.n):
                    raise AssertionError(f"{self.d.code}: {join.n} opened while {other['activity']} is open")


def reaches(d: Definition, source: int, goal: int) -> bool:
    """Whether `goal` can follow `source` without passing through `goal` first."""
    pending, seen = [source], {source}
    while pending:
        for target, _ in edges(d, pending.pop()):
            if target == goal:
                return True
            if target != END and target not in seen:
                seen.add(target)
                pending.append(target)
    return False


def plan_of(steps: list[Step]) -> dict[int, deque[str]]:
    plan: dict[int, deque[str]] = defaultdict(deque)
    for n, label in steps:
        if label is not None:
            plan[n].append(label)
    return plan


def has_parallel(d: Definition) -> bool:
    lists = (
        [f.start for f in d.flows]
        + [d.start]
        + [b.goto for a in d.activities if a.decision for b in a.decision.branches]
    )
    return any(a.parallel or a.join for a in d.activities) or any(isinstance(x, list) for x in lists)


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
    for start, steps, order in drives(d):
        first = d.activity(start).role
        requester_person = person(entity, first if first != REQUESTER else d.roles[0].id)
        requester = client_for(requester_person)
        payload = {"procedure": code, "inputs": start_inputs(d)}
        if d.flows:
            payload["flow"] = flow_starts(d)[start]
        response = requester.post("/api/v1/cases/", payload, format="json")
        assert response.status_code == 201, response.json()
        plan = plan_of(steps)
        done = Driver(client_for, entity, d, plan, requester_person, order).run(
            response.json()["number"], requester
        )
        assert not any(plan.values()), (code, order, "decisions of the path never asked", dict(plan))
        if not has_parallel(d):  # a call that does not wait is completed by the engine, never opened
            at_once = {a.n for a in d.activities if a.call and not a.call.wait and not a.records}
            # An activity each of whose roles completes it is done once per role, one after the other.
            once = [n for i, (n, _) in enumerate(done) if i == 0 or done[i - 1][0] != n]
            fin_rows = {a.n for a in d.activities if a.kind == ActivityKind.END_EVENT}
            assert once == [n for n, _ in steps if n not in at_once | fin_rows]
