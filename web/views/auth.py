"""Sign-in and sign-out (Django auth; failed attempts are throttled by django-axes)."""

from django.contrib.auth import views as auth_views


class MaproLoginView(auth_views.LoginView):
    template_name = "web/auth/login.html"
    redirect_authenticated_user = True


class MaproLogoutView(auth_views.LogoutView):
    pass
