"""
Case data as definitions name it: `inputs.<input id>` (the case's start data) or `<record id>.<field id>`
(the latest record of that id the case produced). Call input mappings and conditions read it here.
"""

from __future__ import annotations

from typing import Any

from ..models import Case


def case_data_value(*, case: Case, path: str) -> Any:
    """The value at `path` in the case's data, or None when it was never recorded."""
    head, name = path.split(".", 1)
    if head == "inputs":
        return case.inputs.get(name)
    record = case.records.filter(record_id=head).order_by("-created_at", "-pk").first()
    if record is None or not isinstance(record.data, dict):
        return None
    return record.data.get(name)
