"""
Fixtures of the web tests: the MVCS procedures (PR.OTI.005 and PR.OTI.006) with a demo person per role,
a signed-in Django test client, and, for the browser tests, headless Debian Chromium through Playwright.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from mapro.catalogue.definition import Catalogue
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.catalogue.services import procedure_versions_load
from mapro.organization.models import Entity, Person
from mapro.organization.services import DEMO_PASSWORD, demo_people_create, demo_username

CHROMIUM = os.environ.get("MAPRO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
VIEWPORTS = {"escritorio": (1280, 800), "movil": (390, 844)}


def load_mvcs() -> None:
    """Only MVCS's procedures: compiling the whole catalogue for every browser test would be slow."""
    catalogue = catalogue_from_repository()
    mvcs = {code: d for code, d in catalogue.definitions.items() if d.definition.entity.value == "MVCS"}
    procedure_versions_load(catalogue=Catalogue(definitions=mvcs))
    demo_people_create()


def person(role_code: str, entity_code: str = "MVCS") -> Person:
    entity = Entity.objects.get(code=entity_code)
    return Person.objects.select_related("entity", "user").get(
        user__username=demo_username(entity=entity, role_code=role_code)
    )


@pytest.fixture
def mvcs(db) -> None:
    load_mvcs()


@pytest.fixture
def login_client(client, mvcs):
    """A test client signed in as an MVCS demo person: `login_client("analista_mesa_servicios")`."""

    def sign_in(role_code: str):
        client.force_login(person(role_code).user)
        return client

    return sign_in


# --- browser ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"no está Chromium en {CHROMIUM} (scripts/bootstrap.sh --dev lo instala)")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the tests themselves are
    # still synchronous, so Django's async-safety guard is lifted for the browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(transactional_db, live_server):
    """The live server with the MVCS procedures and demo people loaded."""
    vendor = Path(settings.BASE_DIR) / "web" / "static" / "vendor" / "versions.json"
    if not vendor.exists():
        pytest.fail("Faltan web/static/vendor (htmx, bpmn-js): ejecute scripts/bootstrap.sh")
    load_mvcs()
    return live_server


class Browser:
    """One person's browser session against the live server, with helpers the tests share."""

    def __init__(self, browser, base_url: str) -> None:
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="es-PE", timezone_id="America/Lima"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base_url = base_url
        # The Content-Security-Policy (settings.CONTENT_SECURITY_POLICY) refuses what the pages must not
        # need: Chromium reports every refusal on the console; open_browser fails the test on any.
        self.csp_violations: list[str] = []
        self.page.on("console", self._watch_console)

    def _watch_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(f"{self.page.url}: {message.text}")

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def login(self, role_code: str, entity_code: str = "MVCS") -> None:
        self.go("/ingresar/")
        self.page.get_by_label("Usuario").fill(f"{entity_code.lower()}.{role_code}")
        self.page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="Ingresar").click()
        self.page.wait_for_url(self.base_url + "/")

    def logout(self) -> None:
        self.page.locator(".user-menu summary").click()
        self.page.get_by_role("button", name="Cerrar sesión").click()
        self.page.wait_for_url("**/ingresar/")

    def screenshot(self, name: str) -> None:
        """The current page at desktop and phone size, under artifacts/screenshots/ (kept by CI)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, (width, height) in VIEWPORTS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.wait_for_timeout(150)  # let the diagram refit to the new size
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 800})

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_browser(browser, site):
    """`open_browser()` gives a fresh browser session (own cookies); all are closed after the test."""
    sessions = []

    def make() -> Browser:
        session = Browser(browser, site.url)
        sessions.append(session)
        return session

    yield make
    violations = [v for session in sessions for v in session.csp_violations]
    for session in sessions:
        session.close()
    assert not violations, "Content-Security-Policy refused:\n" + "\n".join(violations)
