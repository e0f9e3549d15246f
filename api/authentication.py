"""Token authentication that reads the user's person and entity with the token (one query, not three)."""

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class PersonTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__person__entity").get(key=key)
        except model.DoesNotExist:
            raise AuthenticationFailed("Token inválido.") from None
        if not token.user.is_active:
            raise AuthenticationFailed("Usuario inactivo o eliminado.")
        return token.user, token
