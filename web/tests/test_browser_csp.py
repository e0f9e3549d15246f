"""
The pages the browser tests of the product do not walk, under the Content-Security-Policy: the
administration (people, roles, procedure versions) and the error pages. open_browser fails a test on any
refusal the browser reports.
"""

from __future__ import annotations

import pytest

from mapro.organization.services import ADMIN_PASSWORD, ADMIN_USERNAME

pytestmark = pytest.mark.browser

ADMIN_PAGES = [
    "/admin/",
    "/admin/organization/person/",
    "/admin/organization/person/add/",
    "/admin/catalogue/procedureversion/",
    "/admin/axes/accessattempt/",
]


def test_administration_pages_run_under_the_policy(open_browser):
    session = open_browser()
    session.go("/admin/login/")
    session.page.get_by_label("Usuario").fill(ADMIN_USERNAME)
    session.page.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    session.page.get_by_role("button", name="Iniciar sesión").click()
    session.page.wait_for_url("**/admin/")
    for path in ADMIN_PAGES:
        session.go(path)
        session.page.wait_for_load_state("networkidle")  # the admin's scripts have run
        assert session.page.locator("#content").count() == 1, path


def test_error_page_in_the_layout_and_its_back_link(open_browser):
    session = open_browser()
    session.login("analista_mesa_servicios")
    session.go("/catalogo/")
    session.go("/no-existe/")
    assert session.page.get_by_role("heading", name="Página no encontrada").is_visible()
    session.page.get_by_role("link", name="Volver").click()
    session.page.wait_for_url("**/catalogo/")
