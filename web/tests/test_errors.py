"""
Error answers with DEBUG off (as in production; pytest-django runs with DEBUG off): Spanish pages in the
product's layout for people, `{"detail": "..."}` for /api/ paths, and the security headers.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from mapro.cases.services.cases import MAX_ATTACHMENT_BYTES

LAYOUT = 'class="topbar"'  # web/templates/web/base.html
pytestmark = [pytest.mark.django_db, pytest.mark.urls("web.tests.error_urls")]


def api_detail(response) -> str:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)["detail"]


def page(response) -> str:
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert LAYOUT in body and '<html lang="es-PE">' in body
    return body


@pytest.fixture
def anonymous() -> Client:
    return Client(raise_request_exception=False)


def test_unknown_page_is_a_spanish_404_without_the_url_patterns(anonymous):
    response = anonymous.get("/no-existe/")
    body = page(response)
    assert response.status_code == 404
    assert "Página no encontrada" in body
    assert "URLconf" not in body and "expedientes/" not in body


def test_a_signed_in_person_keeps_the_navigation_on_an_error_page(login_client):
    client = login_client("analista_mesa_servicios")
    body = page(client.get("/expedientes/no-existe/"))
    assert "Mi bandeja" in body and "Cerrar sesión" in body


@pytest.mark.parametrize("path", ["/api/v1/no-existe/", "/api/v2/casos/", "/api/"])
def test_unknown_api_url_is_a_json_404(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 404
    assert api_detail(response)  # a Spanish sentence: handler404's, or the API's own catch-all


@pytest.mark.parametrize("prefix", ["/", "/api/v1/"])
def test_bad_request_says_the_clients_message(anonymous, prefix):
    response = anonymous.get(f"{prefix}falla/400/")
    assert response.status_code == 400
    if prefix == "/":
        assert "El texto contiene un carácter NUL." in page(response)
    else:
        assert api_detail(response) == "El texto contiene un carácter NUL."


@pytest.mark.parametrize("prefix", ["/", "/api/v1/"])
def test_suspicious_request_is_a_400_without_django_internals(anonymous, prefix):
    response = anonymous.get(prefix, HTTP_HOST="atacante.example")  # not in ALLOWED_HOSTS
    assert response.status_code == 400
    if prefix == "/":
        body = page(response)
        assert "Solicitud no válida" in body and "HTTP_HOST" not in body
    else:
        assert api_detail(response) == "La solicitud no es válida."


@pytest.mark.parametrize("prefix", ["/", "/api/v1/"])
def test_permission_denied_is_a_403_that_names_no_role(anonymous, prefix):
    response = anonymous.get(f"{prefix}falla/403/")
    assert response.status_code == 403
    text = page(response) if prefix == "/" else api_detail(response)
    assert "permiso" in text and "responsable_plataforma_correo" not in text


@pytest.mark.parametrize("prefix", ["/", "/api/v1/"])
def test_server_error_is_a_500_page_or_body(anonymous, prefix):
    response = anonymous.get(f"{prefix}falla/500/")
    assert response.status_code == 500
    text = page(response) if prefix == "/" else api_detail(response)
    assert "boom" not in text
    assert ("Error del servidor" in text) if prefix == "/" else (text == "Error interno del servidor.")


def test_csrf_failure_is_a_spanish_403():
    response = Client(enforce_csrf_checks=True).post("/ingresar/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "El formulario caducó" in page(response)


def test_request_limit_leaves_room_for_a_25_mb_attachment():
    assert MAX_ATTACHMENT_BYTES + 512 * 1024 <= settings.REQUEST_MAX_BYTES <= MAX_ATTACHMENT_BYTES * 2


@pytest.mark.parametrize("prefix", ["/", "/api/v1/"])
def test_upload_over_the_request_limit_is_a_413_unread(anonymous, prefix):
    path = "/expedientes/X/adjuntos/" if prefix == "/" else "/api/v1/cases/X/attachments/"
    body = b"x" * (settings.REQUEST_MAX_BYTES + 1)
    response = anonymous.post(path, body, content_type="application/octet-stream")
    assert response.status_code == 413
    if prefix == "/":
        assert "Archivo demasiado grande" in page(response)
    else:
        assert "tamaño máximo" in api_detail(response)


@pytest.mark.parametrize("prefix", ["/", "/api/v1/"])
def test_form_over_djangos_body_limit_is_a_413(anonymous, prefix):
    # No file: Django's DATA_UPLOAD_MAX_MEMORY_SIZE refuses it (RequestDataTooBig) when the form is read.
    response = anonymous.post(
        f"{prefix}falla/formulario/", {"texto": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    )
    assert response.status_code == 413
    if prefix == "/":
        page(response)
    else:
        api_detail(response)


def test_pages_carry_the_security_headers(anonymous):
    response = anonymous.get("/ingresar/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy + ";" and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_on_https(anonymous, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = anonymous.get("/ingresar/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
