"""
A test revision of PR.OTI.005 with a subject template and instruction variants, whatever the catalogue's own
file says by then: the case view tests (subject, start data, instruction by path) read these exact texts.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from mapro.catalogue.definition import load_catalogue
from mapro.catalogue.services import procedure_version_load

SUBJECT = "Baja de {inputs.cuenta_correo} — {inputs.motivo_baja}"
LOCADOR = "Culminación de la orden de servicio"
# Activity 2 by where it came from and a case datum; activity 3 by where it came from only.
SUSPEND_LOCADOR = "Suspenda la cuenta del locador hoy mismo: su orden de servicio ya culminó."
BACKUP_AFTER_SUSPENSION = "Respalde la cuenta que acaba de suspender y cárguela en BACKUP_CORREOS."


def pr_oti_005_with_subject_and_variants(directory: Path) -> None:
    """Load the test revision as PR.OTI.005's current version."""
    source = Path(settings.BASE_DIR) / "procedures" / "mvcs" / "PR_OTI_005.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["subject"] = SUBJECT
    activities = {a["n"]: a for a in data["activities"]}
    activities[2]["variants"] = [
        # Both must hold: coming from 1 (the only way in) and the case datum.
        {"came_from": 1, "when": {"data": "inputs.motivo_baja", "equals": LOCADOR}, "text": SUSPEND_LOCADOR},
    ]
    activities[3]["variants"] = [{"came_from": 2, "text": BACKUP_AFTER_SUSPENSION}]
    path = directory / source.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    catalogue = load_catalogue([path])
    assert catalogue.ok, catalogue.errors
    with transaction.atomic():  # the load's audit event goes in with it (a live-server test has no outer one)
        assert procedure_version_load(loaded=catalogue.definitions["PR.OTI.005"]) is not None
