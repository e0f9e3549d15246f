"""Catálogo: every procedure of every entity, its ficha, diagram and downloads (PDF, DOCX, BPMN, SVG)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from mapro.cases.selectors import procedure_version_definition
from mapro.core.errors import ApplicationError

from ..selectors import catalogue_grouped, procedure_version_get, role_label
from .common import person_of, person_required

DOWNLOADS = [
    ("pdf", "Ficha en PDF"),
    ("docx", "Ficha en Word (DOCX)"),
    ("bpmn", "Modelo BPMN 2.0"),
    ("svg", "Diagrama (SVG)"),
]


@person_required
def catalogue_index(request: HttpRequest) -> HttpResponse:
    own = person_of(request).entity_id
    entities = sorted(catalogue_grouped(), key=lambda item: item[0].pk != own)  # the person's entity first
    return render(request, "web/catalogue/index.html", {"entities": entities})


@person_required
def procedure_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = procedure_version_get(version_id=version_id)
    definition = procedure_version_definition(version=version)
    roles = {role.id: role.name for role in definition.roles}
    raci_roles = sorted({r for row in definition.raci for r in row.roles}, key=lambda r: roles.get(r, r))
    raci = [(row.activity, [row.roles.get(r, "") for r in raci_roles]) for row in definition.raci]
    records = {record.id: record for record in definition.records}
    activities = [
        {
            "activity": a,
            "role": role_label(definition=definition, role_id=a.role),
            "records": [records[r].name for r in a.records if r in records],
            "rules": [rule for rule in definition.time_rules if rule.activity == a.n],
        }
        for a in definition.activities
    ]
    context = {
        "version": version,
        "definition": definition,
        "activities": activities,
        "raci_roles": [(r, roles.get(r, r)) for r in raci_roles],
        "raci": raci,
        "downloads": DOWNLOADS,
        "draft": definition.is_draft,
    }
    return render(request, "web/catalogue/detail.html", context)


@person_required
def procedure_bpmn(request: HttpRequest, version_id: int) -> HttpResponse:
    version = procedure_version_get(version_id=version_id)
    return HttpResponse(version.bpmn_xml, content_type="application/xml; charset=utf-8")


@person_required
def procedure_download(request: HttpRequest, version_id: int, fmt: str) -> HttpResponse:
    from mapro.catalogue.export import export_filename, export_format, export_procedure

    version = procedure_version_get(version_id=version_id)
    definition = procedure_version_definition(version=version)
    try:
        spec = export_format(fmt)
    except ApplicationError as exc:
        raise Http404(exc.message) from None
    # The "Notas de modelado" annex only on request (?notas=1): the approved ficha does not carry it.
    annex = request.GET.get("notas") == "1"
    content = version.bpmn_xml.encode() if fmt == "bpmn" else export_procedure(definition, fmt, annex=annex)
    response = HttpResponse(content, content_type=spec.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(definition, fmt)}"'
    return response
