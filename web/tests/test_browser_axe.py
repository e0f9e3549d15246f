"""
axe-core (npm, pinned in package.json) on every main page, at desktop (1280×800) and phone (390×844) size:
no critical and no serious finding. axe is injected by the test only (an init script of the browser
context, which the pages' Content-Security-Policy does not apply to); the app never serves it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from mapro.cases import services
from mapro.catalogue.models import ProcedureVersion
from mapro.organization.services import ADMIN_PASSWORD, ADMIN_USERNAME

from .conftest import VIEWPORTS, person

pytestmark = [pytest.mark.browser]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"critical", "serious"}


def axe_findings(page) -> list[str]:
    """The critical and serious violations on the page as it is: one line per rule, with its targets."""
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} [{v['impact']}] {v['id']}: {v['help']} → "
        + "; ".join(json.dumps(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def test_every_main_page_has_no_critical_or_serious_axe_finding(open_browser):
    if not AXE.exists():
        pytest.fail(f"falta {AXE}: ejecute scripts/bootstrap.sh (npm ci instala axe-core)")
    analyst = person("analista_mesa_servicios")
    case = services.case_start(
        procedure_code="PR.OTI.005",
        requester=analyst,
        inputs={"cuenta_correo": "x@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"},
    )
    task = case.tasks.get(activity=1)
    version = ProcedureVersion.objects.get(code="PR.OTI.005", is_current=True)

    b = open_browser()
    b.context.add_init_script(path=str(AXE))
    pages = {
        "ingresar": "/ingresar/",
        "bandeja": "/",
        "iniciar": "/iniciar/",
        "formulario-inicio": f"/iniciar/{version.pk}/",
        "expedientes": "/expedientes/",
        "expediente": f"/expedientes/{case.number}/",
        "tarea": f"/tareas/{task.pk}/",
        "catalogo": "/catalogo/",
        "ficha": f"/catalogo/{version.pk}/",
        "tablero": "/tablero/",
        "supervision": "/informes/supervision/",
    }
    findings: list[str] = []
    for name, path in pages.items():
        if name == "bandeja":
            b.login("analista_mesa_servicios")
        b.go(path)
        assert b.page.url.endswith(path), f"{name}: {b.page.url}"  # the page itself, not a redirect
        for label, (width, height) in VIEWPORTS.items():
            b.page.set_viewport_size({"width": width, "height": height})
            findings += [f"{label} {line}" for line in axe_findings(b.page)]
    # The case page offers Suspender and Anular to this requester (nobody else has worked on the case).
    # axe judges only what overflows or is laid out now; these two hold whatever the data's width.
    b.page.set_viewport_size({"width": 390, "height": 844})
    b.go(f"/expedientes/{case.number}/")
    for summary in ("Suspender", "Anular"):
        box = b.page.locator(".case-actions summary", has_text=summary).bounding_box()
        assert box and box["height"] >= 24 and box["width"] >= 24, (summary, box)
    b.page.locator(".case-actions summary", has_text="Anular").click()  # opened: its form shows
    b.screenshot("18-expediente-acciones")
    b.go("/tablero/")
    scroller = b.page.locator(".table-scroll", has=b.page.locator("#by-procedure"))
    assert scroller.get_attribute("tabindex") == "0" and scroller.get_attribute("role") == "region"
    # The admin's index and a list (Django's own pages). Its change forms are left out: Django's tabular
    # inlines have inputs without labels (critical) and inline styles the CSP refuses.
    staff = open_browser()
    staff.context.add_init_script(path=str(AXE))
    staff.go("/admin/login/")
    findings += axe_findings(staff.page)
    staff.page.get_by_label("Nombre de usuario").fill(ADMIN_USERNAME)
    staff.page.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    staff.page.get_by_role("button", name="Iniciar sesión").click()
    staff.page.wait_for_url("**/admin/")
    for path in ("/admin/", "/admin/organization/person/"):
        staff.go(path)
        for label, (width, height) in VIEWPORTS.items():
            staff.page.set_viewport_size({"width": width, "height": height})
            findings += [f"{label} {line}" for line in axe_findings(staff.page)]
    assert not findings, "axe-core:\n" + "\n".join(findings)
