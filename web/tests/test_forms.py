"""Generated forms against the whole catalogue: every format renders, and what a browser posts validates."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.http import QueryDict
from django.template import Context, Template
from django.utils.datastructures import MultiValueDict

from mapro.cases.services.forms import fields_at, validate_fields
from mapro.catalogue.definition import load_catalogue
from mapro.catalogue.definition.schema import FieldType
from web.forms.fields import FieldSpec, read_value
from web.forms.task import read_task_form, task_form

CATALOGUE = load_catalogue([Path(settings.PROCEDURES_DIR)])
ACTIVITIES = [
    (code, activity.n)
    for code, loaded in sorted(CATALOGUE.definitions.items())
    for activity in loaded.definition.activities
    if activity.records
]
# What a browser sends for each input type, as text.
POSTED = {
    FieldType.TEXT: "Texto",
    FieldType.LONG_TEXT: "Texto largo",
    FieldType.INTEGER: "3",
    FieldType.DECIMAL: "2,5",
    FieldType.BOOLEAN: "sí",
    FieldType.DATE: "2026-07-24",
    FieldType.DATETIME: "2026-07-24T10:00",
    FieldType.TIME: "10:00",
    FieldType.EMAIL: "persona@entidad.gob.pe",
    FieldType.SIGNATURE: "Ana Pérez",
}
FIELDS = Template(
    '{% for record in form.records %}{% for f in record.fields %}{% include "web/partials/_field.html" %}'
    '{% endfor %}{% if record.file %}{% include "web/partials/_field.html" with f=record.file %}{% endif %}'
    "{% endfor %}"
)


def _post(spec: FieldSpec, data: QueryDict, files: MultiValueDict) -> None:
    kind = FieldType(spec.type)
    if kind == FieldType.TABLE:
        data[f"{spec.name}__rows"] = "1"
        for cell in spec.rows[0]:
            _post(cell, data, files)
    elif kind == FieldType.CHOICE:
        data[spec.name] = spec.choices[0]
    elif kind == FieldType.MULTI_CHOICE:
        data.setlist(spec.name, spec.choices[:2])
    elif kind == FieldType.FILE:
        data[f"{spec.name}__kept"] = "evidencia.pdf"
    else:
        data[spec.name] = POSTED[kind]


@pytest.mark.parametrize(("code", "n"), ACTIVITIES, ids=[f"{c}-{n}" for c, n in ACTIVITIES])
def test_task_form_renders_and_what_it_posts_validates(code, n):
    definition = CATALOGUE.definitions[code].definition
    form = task_form(definition, definition.activity(n))
    html = FIELDS.render(Context({"form": form}))
    for spec in form.fields:
        if spec.type != FieldType.TABLE and spec.key != "effective_date":
            assert f'name="{spec.name}"' in html

    data, files = QueryDict(mutable=True), MultiValueDict()
    for spec in form.fields:
        if spec.key != "effective_date":
            _post(spec, data, files)
    posted, _ = read_task_form(task_form(definition, definition.activity(n)), data, files)
    for record_id, values in posted.items():
        fields = definition.record_fields(definition.record(record_id))
        if not fields:
            continue
        errors: dict[str, list[str]] = {}
        validate_fields(fields_at(fields, n), values, errors, prefix="")  # the fields this activity fills
        assert errors == {}, f"{code} actividad {n}: {errors}"


@pytest.mark.parametrize("code", sorted(CATALOGUE.definitions))
def test_start_form_posts_what_the_inputs_accept(code):
    from mapro.cases.services.forms import validate_inputs
    from web.forms.start import read_start_form, start_form

    definition = CATALOGUE.definitions[code].definition
    form = start_form(definition)
    data, files = QueryDict(mutable=True), MultiValueDict()
    domains = {item.id: item.domain for item in definition.inputs if item.domain}
    for spec in form.inputs:
        _post(spec, data, files)
        if spec.key in domains:  # an institutional account: at the ficha's domain
            data[spec.name] = f"persona@{domains[spec.key]}"
    inputs, flow = read_start_form(start_form(definition), data, files)
    validate_inputs(definition.inputs, inputs)  # raises InvalidInputError on any field
    assert flow is None


@pytest.mark.parametrize("rows", ["abc", "-1", "1e3", "9" * 30, "٣", ""])
def test_a_table_row_count_that_is_not_a_small_number_reads_as_no_rows(rows):
    column = FieldSpec(name="c", key="c", label="C", type=FieldType.TEXT.value)
    table = FieldSpec(name="t", key="r.t", label="T", type=FieldType.TABLE.value, columns=[column])
    post = QueryDict(mutable=True)
    post.update({"t__rows": rows, "t__0__c": "x"})
    assert read_value(table, post, MultiValueDict()) == []


def test_a_record_file_is_the_record_only_where_its_data_may_be_left_empty():
    pr_oti_005 = CATALOGUE.definitions["PR.OTI.005"].definition
    (backup,) = task_form(pr_oti_005, pr_oti_005.activity(3)).records  # fields required: the file is evidence
    assert backup.file.help.startswith("Opcional: el documento mismo")
    # A record without fields: its observations or its file are the record.
    code, n, record_id = next(
        (code, activity.n, record_id)
        for code, loaded in sorted(CATALOGUE.definitions.items())
        for activity in loaded.definition.activities
        for record_id in activity.records
        if not loaded.definition.record_fields(loaded.definition.record(record_id))
        and record_id not in activity.optional_records
    )
    d = CATALOGUE.definitions[code].definition
    (plain,) = [r for r in task_form(d, d.activity(n)).records if r.record_id == record_id]
    assert plain.file.help == "El registro es obligatorio: sus datos o este archivo."
