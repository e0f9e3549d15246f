"""What the API tests share: the procedures they run and a client authenticated as a demo person."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from mapro.organization.models import Entity, Person
from mapro.organization.services import demo_username

BAJA = {"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}
CORREO_SERVICIOS = "SENACE-CORREO-SERVICIOS"
PROCEDURES = ["PR.OTI.005", CORREO_SERVICIOS]


def client_of(entity_code: str, role_code: str) -> APIClient:
    entity = Entity.objects.get(code=entity_code)
    someone = Person.objects.get(user__username=demo_username(entity=entity, role_code=role_code))
    token, _ = Token.objects.get_or_create(user=someone.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
