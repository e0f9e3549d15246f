"""
The API's contract is true: schemathesis, every check, against a live server with a token, on SQLite and
PostgreSQL. Bounded (25 examples per operation and phase, fixed seed, one worker: about a minute) so it
runs in every suite.

What the checks cannot know is set in the configuration below, and only that: the path parameters name a
real case, task and procedure (otherwise almost every call would be a 404), and seven operations may answer
400 or 409 to a request the schema accepts, because their validity depends on what the generic schema cannot
describe: the inputs and records of each procedure's definition (start, completion), an existing person
holding the task's role (assign, forward), whether the task is assigned now (release), a multipart part
that carries a file rather than a plain field (attachments), and a period whose end is not before its start
and spans at most five years (indicators; the case list's `from` and `to`). Every other check is strict.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from rest_framework.authtoken.models import Token

from mapro.cases.services import case_start
from mapro.cases.tests.conftest import person

from .support import BAJA

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = 25
SEED = 1
CONFIG = """
[parameters]
"path.number" = "{number}"
"path.task_id" = {task_id}
"path.code" = "PR.OTI.005"

[[operations]]
include-operation-id = [
    "cases_create", "tasks_complete_create", "tasks_assign_create", "tasks_forward_create",
    "tasks_release_create", "cases_attachments_create", "indicators_report", "cases_list",
]
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""


def test_every_schemathesis_check_passes_against_a_live_server(api_url, tmp_path):
    analyst = person("MVCS", "analista_mesa_servicios")
    token, _ = Token.objects.get_or_create(user=analyst.user)
    case = case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=BAJA)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(number=case.number, task_id=case.tasks.get().pk))

    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{api_url}/api/v1/schema/?format=json",
            "--checks",
            "all",
            "--header",
            f"Authorization: Token {token.key}",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )

    summary = re.search(r"(\d+) generated, (.*)", run.stdout)
    assert run.returncode == 0 and summary, run.stdout[-6000:] + run.stderr[-2000:]
    generated = int(summary.group(1))
    print(f"schemathesis: {summary.group(0)}")  # shown with -s: the figure of this run
    assert generated >= 500, summary.group(0)
    assert "failures" not in summary.group(2), summary.group(0)
