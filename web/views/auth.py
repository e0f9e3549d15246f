"""Sign-in and sign-out (Django auth; failed attempts are throttled by django-axes)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from mapro.organization.services import DEMO_PASSWORD

DEMO_EXAMPLE = "mvcs.analista_mesa_servicios"


class MaproLoginView(auth_views.LoginView):
    template_name = "web/auth/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Only in development or scripts/run.sh's local mode, with the demo people loaded (`mapro demo load`).
        if settings.DEMO_LOGIN_HINT and get_user_model().objects.filter(username=DEMO_EXAMPLE).exists():
            context["demo"] = {"example": DEMO_EXAMPLE, "password": DEMO_PASSWORD}
        return context


class MaproLogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "Cerró su sesión.")
        return response
