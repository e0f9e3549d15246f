"""
Spanish (es-PE) in the admin and at sign-in: no English name left where Django would make one up from the
code (model or field names), django-axes and Django's permissions in Spanish, and the Peruvian wording of
the login errors. One signed-in walk over every admin list and add page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.text import camel_case_to_spaces

# What Django writes when nobody named a thing, and what the issue saw: none of it may reach the page.
ENGLISH = re.compile(
    r"\b(Entity|Person|Role|Unit|Parent|Delegat(e|or)|Is current|Created at|Updated at|Access attempts?|"
    r"Access logs?|Access failures?|Access Log|Attempted Access|Failed access|Axes|"
    r"Can (add|change|delete|view)|Por entity|Es staff)\b"
)


def _shown_fields(model_admin, request) -> set[str]:
    names = set(model_admin.get_list_display(request)) | set(model_admin.get_readonly_fields(request))
    for item in model_admin.get_list_filter(request):  # a name, (name, filter class) or a filter class
        if isinstance(item, str | tuple):
            names.add(item if isinstance(item, str) else item[0])
    if model_admin.has_add_permission(request):
        names |= set(model_admin.get_fields(request))
    return names


def test_admin_speaks_spanish_everywhere(client, mvcs, rf):
    client.post(reverse("web:login"), {"username": "nadie", "password": "x"})  # axes' rows to show
    staff = get_user_model().objects.get(username="admin")
    client.force_login(staff)
    request = rf.get("/admin/")
    request.user = staff
    untranslated, pages = [], ["/admin/"]
    with translation.override("es-pe"):
        for model, model_admin in admin.site._registry.items():
            opts = model._meta
            if str(opts.verbose_name) == camel_case_to_spaces(opts.object_name):
                untranslated.append(f"{opts.label}: sin verbose_name")
            for name in _shown_fields(model_admin, request):
                try:
                    field = opts.get_field(name)
                except Exception:  # a display method: its description is checked on the page
                    continue
                if isinstance(field, models.Field) and field.verbose_name == name.replace("_", " "):
                    untranslated.append(f"{opts.label}.{name}: sin verbose_name")
            info = (opts.app_label, opts.model_name)
            pages.append(reverse("admin:{}_{}_changelist".format(*info)))
            if model_admin.has_add_permission(request):
                pages.append(reverse("admin:{}_{}_add".format(*info)))
            if first := model._default_manager.order_by("pk").first():  # its title and every label
                pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    assert not untranslated, untranslated
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        text = re.sub(r"(?s)<script.*?</script>|<[^>]+>", " ", response.content.decode())
        assert not ENGLISH.search(text), (page, ENGLISH.search(text).group(0))
    index = client.get("/admin/").content.decode()
    assert "Intentos de ingreso" in index and "Control de ingresos" in index
    assert "Puede añadir persona" in client.get(reverse("admin:auth_group_add")).content.decode()


@pytest.mark.django_db
def test_login_errors_in_peruvian_wording(client):
    web = client.post(reverse("web:login"), {"username": "nadie", "password": "x"}).content.decode()
    assert "Ingrese su usuario y contraseña correctos." in web
    staff = client.post(reverse("admin:login"), {"username": "nadie", "password": "x"}).content.decode()
    assert "Ingrese el usuario y la contraseña correctos de una cuenta de administración." in staff
    assert "introduzca" not in (web + staff).lower()


def test_the_product_says_respaldo_never_backup():
    """
    The product's own texts (templates of the web app, the exports, the mails) say "respaldo"; "backup" is
    left to what the fichas quote from their seeds (role names such as "Operador de backup", form labels).
    """
    root = Path(settings.BASE_DIR)
    templates = [*root.glob("web/templates/**/*.html"), *root.glob("mapro/*/templates/**/*")]
    assert templates
    said = [str(p.relative_to(root)) for p in templates if p.is_file() and "backup" in p.read_text().lower()]
    assert not said, said
