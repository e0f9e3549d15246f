"""
Two analysts start a baja of the same account at the same instant, over real HTTP, each on their own database
connection (the `api_url` fixture): the open-duplicate check runs under the entity's case-number lock, so one
opens and the other is refused naming it (docs/decisions/0028-register-on-behalf.md). On PostgreSQL this is
the row lock of `CaseCounter`; on SQLite, one write transaction at a time.
"""

from __future__ import annotations

from mapro.cases.models import Case

from .conftest import person
from .test_concurrency import api_session, complete_at_once, procedures_load, second_holder
from .test_on_behalf import baja_inputs, baja_with_checks

ROUNDS = 3


def test_two_simultaneous_starts_of_the_same_account_open_one_case(api_url, tmp_path):
    procedures_load("PR.OTI.005")
    baja_with_checks(tmp_path)
    first = person("MVCS", "analista_mesa_servicios")
    second = second_holder(entity_code="MVCS", role_code="analista_mesa_servicios", username="mvcs.analista3")
    sessions = [api_session(first), api_session(second)]
    for session in sessions:  # warm up: authentication, URL resolution, definition parsing in the server
        assert session.get(f"{api_url}/api/v1/tasks/", timeout=60).status_code == 200
    for round_ in range(ROUNDS):
        body = {"procedure": "PR.OTI.005", "inputs": baja_inputs(f"cuenta{round_}@vivienda.gob.pe")}
        results = complete_at_once(f"{api_url}/api/v1/cases/", sessions, body)
        (sent_a, answered_a, _), (sent_b, answered_b, _) = results
        assert sent_a < answered_b and sent_b < answered_a, "the two requests did not overlap"
        by_status = {response.status_code: response.json() for _, _, response in results}
        assert sorted(by_status) == [201, 400], by_status
        opened = by_status[201]["number"]
        assert by_status[400]["field_errors"]["cuenta_correo"] == [
            f"Ya hay un expediente abierto con este valor: {opened}."
        ]
        assert Case.objects.filter(inputs__cuenta_correo=f"cuenta{round_}@vivienda.gob.pe").count() == 1
