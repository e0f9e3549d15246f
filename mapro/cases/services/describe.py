"""
What a case is about: its subject, from the definition's template, and the folded text the case list searches.

The subject is rendered at start and again after every completion whose records it names, so the inbox, the
case list, the notifications and the mail read a column instead of rendering templates per row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import SUBJECT_PLACEHOLDER
from mapro.core.text import fold, shown_value

from ..models import Case
from .conditions import INPUTS

SUBJECT_MAX = 300
_SEPARATORS = " —–-:,·"
# A run of separators left by empty placeholders ("Baja de  —  — motivo"): the first one stays.
_SEPARATOR_RUN = re.compile(r"([—–\-:,·])(?:\s*[—–\-:,·])+")


def subject_render(
    template: str | None,
    *,
    inputs: Mapping[str, Any],
    records: Mapping[str, Mapping[str, Any]],
    requester: str,
    started: dt.date,
) -> str:
    """The template with its placeholders filled; one without a value leaves no dangling separator."""
    if not template:
        return ""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "requester":
            return requester
        if name == "started":
            return started.strftime("%d/%m/%Y")
        source, _, key = name.partition(".")
        data = inputs if source == INPUTS else records.get(source, {})
        return shown_value(data.get(key))

    text = re.sub(r"\s+", " ", SUBJECT_PLACEHOLDER.sub(value, template))
    text = _SEPARATOR_RUN.sub(r"\1", text).strip(_SEPARATORS)
    return text[:SUBJECT_MAX]


def search_text(*, number: str, subject: str, inputs: Mapping[str, Any], requester: str) -> str:
    """Everything the case list's search box matches, folded: number, subject, start data, requester."""
    parts = [number, subject, requester, *(shown_value(v) for v in inputs.values())]
    return fold(" ".join(p for p in parts if p))


def case_describe(
    *, case: Case, definition: Definition, records: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, str]:
    """The subject and search text for the case as it stands (records read once when not given)."""
    if records is None:
        records = _merged_records(case=case) if _names_records(definition.subject) else {}
    requester = case.requester.full_name
    subject = subject_render(
        definition.subject,
        inputs=case.inputs or {},
        records=records,
        requester=requester,
        started=timezone.localdate(case.started_at),
    )
    return {
        "subject": subject,
        "search_text": search_text(
            number=case.number, subject=subject, inputs=case.inputs or {}, requester=requester
        ),
    }


def case_describe_save(*, case: Case, definition: Definition) -> None:
    """After a completion: store the subject again when it reads records (inputs never change)."""
    if not _names_records(definition.subject):
        return
    described = case_describe(case=case, definition=definition)
    changed = [name for name, value in described.items() if getattr(case, name) != value]
    for name in changed:
        setattr(case, name, described[name])
    if changed:
        case.save(update_fields=[*changed, "updated_at"])


def _merged_records(*, case: Case) -> dict[str, dict[str, Any]]:
    """
    Per record id, each field's latest non-empty value: a record filled across activities (a ticket its
    number at one, its summary at the next) keeps in the subject what an earlier activity wrote.
    """
    merged: dict[str, dict[str, Any]] = {}
    for record_id, data in case.records.order_by("created_at", "pk").values_list("record_id", "data"):
        fields = merged.setdefault(record_id, {})
        fields.update({k: v for k, v in (data or {}).items() if v not in (None, "", [])})
    return merged


def _names_records(template: str | None) -> bool:
    return any(
        "." in name and not name.startswith(f"{INPUTS}.")
        for name in SUBJECT_PLACEHOLDER.findall(template or "")
    )


def cases_describe_refresh() -> int:
    """
    Store again the subject and search text of every case (cases from before issue 13 have none, and a
    new definition revision may word its subject differently); returns how many cases changed.
    """
    from ..selectors import case_definition  # the selectors import the services' models first

    changed = 0
    cases = Case.objects.select_related("procedure_version", "requester").order_by("pk")
    for case in cases.iterator(chunk_size=500):
        described = case_describe(case=case, definition=case_definition(case=case))
        if any(getattr(case, name) != value for name, value in described.items()):
            changed += Case.objects.filter(pk=case.pk).update(**described)
    return changed
