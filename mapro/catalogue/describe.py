"""
What a procedure version runs, as plain data: the body of `GET /api/v1/procedures/{code}/`.

Other systems (and acceptance tools) read the activities, their roles, decisions, records, time rules,
flows and inputs from here instead of the database or the YAML. Every target is normalised to a list, so a
reader never has to tell a number from a list: `next` and a branch's `targets` hold activity numbers, and
`ends` says the path reaches the end of the procedure. Field meanings: docs/definition-format.md.
"""

from __future__ import annotations

from typing import Any

from .definition import Definition
from .definition.schema import (
    END,
    Activity,
    ActivityKind,
    Condition,
    Format,
    FormatField,
    Input,
    Recipient,
    TimeRule,
    activity_numbers,
)


def procedure_describe(*, definition: Definition, revision: int) -> dict[str, Any]:
    d = definition
    return {
        "code": d.code,
        "name": d.name,
        "entity": d.entity.value,
        "version": d.version,
        "revision": revision,
        "objective": d.objective,
        "subject": d.subject,
        "start": d.start_activities() if not d.flows else [],
        "flows": [
            {
                "id": flow.id,
                "name": flow.name,
                "start": activity_numbers(flow.start),
                "trigger": flow.trigger,
                "inputs": [i.id for i in d.inputs if not i.flows or flow.id in i.flows],
            }
            for flow in d.flows
        ],
        "inputs": [_input(i) for i in d.inputs],
        "units": [{"id": u.id, "name": u.name, "acronym": u.acronym} for u in d.units],
        "roles": [{"id": r.id, "name": r.name, "unit": r.unit} for r in d.roles],
        "activities": [_activity(d, a) for a in d.activities],
        "time_rules": [_time_rule(t) for t in d.time_rules],
    }


def _input(i: Input) -> dict[str, Any]:
    return {
        "id": i.id,
        "element": i.element,
        "type": i.type.value,
        "mandatory": i.mandatory,
        "flows": list(i.flows),
        "choices": list(i.choices),
        "provider": i.provider,
        "domain": i.domain,
        "unique_open": i.unique_open,
    }


def _activity(d: Definition, a: Activity) -> dict[str, Any]:
    successors = d.successors(a)
    return {
        "number": a.n,
        "name": a.name,
        "description": a.description,
        "kind": a.kind.value,
        "task": a.kind != ActivityKind.END_EVENT,
        "role": a.role,
        "co_roles": list(a.co_roles),
        "roles": a.performer_roles,
        "completion": a.completion.value,
        "next": [n for n in successors if n != END] if a.decision is None else [],
        "ends": a.decision is None and END in successors,
        "outcome": a.outcome,
        "decision": _decision(a),
        "parallel": list(a.parallel),
        "join": list(a.join),
        "when": _condition(a.when),
        "variants": [
            {"came_from": v.came_from, "when": _condition(v.when), "text": v.text} for v in a.variants
        ],
        "records": [_record(d, record_id, a) for record_id in a.records],
        "informs": [_recipient(r) for r in a.informs],
        "call": _call(a),
        "time_rules": [_time_rule(t) for t in d.time_rules if t.activity == a.n],
        "seed_line": a.seed_line,
    }


def _decision(a: Activity) -> dict[str, Any] | None:
    if a.decision is None:
        return None
    return {
        "question": a.decision.question,
        "branches": [
            {
                "label": b.label,
                "targets": [] if b.goto == END else activity_numbers(b.goto),
                "ends": b.goto == END,
                "outcome": b.outcome,
                "reason": b.reason,
            }
            for b in a.decision.branches
        ],
    }


def _condition(c: Condition | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "data": c.data,
        "equals": c.equals,
        "one_of": list(c.one_of),
        "min": c.min,
        "max": c.max,
        "text": c.text,
    }


def _record(d: Definition, record_id: str, a: Activity) -> dict[str, Any]:
    record = next(r for r in d.records if r.id == record_id)
    fmt = next((f for f in d.formats if f.id == record.format), None)
    return {
        "id": record.id,
        "name": record.name,
        "optional": record_id in a.optional_records,
        "restricted_to": list(record.restricted_to),
        "format": _format(fmt),
        "fields": [_field(f) for f in record.fields],
    }


def _format(fmt: Format | None) -> dict[str, Any] | None:
    if fmt is None:
        return None
    return {"id": fmt.id, "code": fmt.code, "name": fmt.name, "fields": [_field(f) for f in fmt.fields]}


def _field(f: FormatField) -> dict[str, Any]:
    return {
        "id": f.id,
        "label": f.label,
        "type": f.type.value,
        "required": f.required,
        "choices": list(f.choices),
        "activity": f.activity,
        "help": f.help,
        "columns": [_field(c) for c in f.columns],
    }


def _recipient(r: Recipient) -> dict[str, Any]:
    kind = "role" if r.role is not None else "requester" if r.requester else "contact"
    return {
        "kind": kind,
        "role": r.role,
        "contact": r.contact,
        "address": r.address,
        "channel": r.channel,
        "text": r.text,
    }


def _call(a: Activity) -> dict[str, Any] | None:
    if a.call is None:
        return None
    return {
        "procedure": a.call.procedure,
        "flow": a.call.flow,
        "wait": a.call.wait,
        "inputs": [
            {"input": i.input, "source": i.source, "value": None if i.value is None else str(i.value)}
            for i in a.call.inputs
        ],
    }


def _time_rule(t: TimeRule) -> dict[str, Any]:
    expiry = t.on_expiry
    return {
        "id": t.id,
        "text": t.text,
        "activity": t.activity,
        "amount": t.amount,
        "unit": t.unit.value,
        "anchor": t.anchor,
        "meaning": t.meaning.value,
        "condition": _condition(t.when),
        "on_expiry": None
        if expiry is None
        else {
            "action": expiry.action.value,
            "branch": expiry.branch,
            "outcome": expiry.outcome,
            "text": expiry.text,
        },
        "legal_basis": t.legal_basis,
        "seed_line": t.seed_line,
    }
