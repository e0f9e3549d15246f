#!/usr/bin/env python
"""
Benchmark of the case engine: task completions per second through the HTTP API, and inbox latency, on a
database that already holds many closed cases. It prints figures; it is not a test.

    .venv/bin/python bench/cases_throughput.py --db sqlite                 # 10 000 closed cases
    .venv/bin/python bench/cases_throughput.py --db postgresql --cases 10000 --cases 1000000

For each database it:
1. prepares a database of its own (SQLite: a file under var/bench/; PostgreSQL: the database
   `mapro_bench` on the local server of scripts/postgres.sh, started if needed), migrates it, loads PR.OTI.005
   and its demo people, runs one PR.OTI.005 case to its end through the services (the template of every
   filled case) and opens a backlog of `--open-cases` cases, whose first tasks sit in the inbox;
2. fills it up to each `--cases` size with closed PR.OTI.005 cases copied from the template with bulk
   inserts (COPY on PostgreSQL, executemany on SQLite): the case with its workflow state, 4 completed tasks,
   3 records, 4 settled deadlines, 6 notifications and 5 audit events (a valid hash chain: `mapro audit
   verify` passes), and reports how long that took;
3. starts gunicorn on it with config/gunicorn.conf.py (sync workers, 2 × cores + 1) and measures
   - the inbox: p50/p95 of GET /api/v1/tasks/ (one client, one request at a time) and of the
     `tasks_for_person_rows` selector alone (in this process, same database);
   - throughput, each with 1, then 8, client threads (its own keep-alive connection and token, a person
     holding both roles of PR.OTI.005), for `--seconds` seconds: completions per second and the p50/p95
     latency of a completion,
     a. completing the tasks of cases pre-started (unmeasured) through the services: task completions only;
     b. starting each case through the API and completing its 4 tasks: the whole life of a case;
   - the CPU per request of gunicorn and of the PostgreSQL backends (the machine may be shared);
4. with `--breakdown N`, runs N cases in this process and attributes a completion's CPU to its phases.

bench/README.md has the figures measured and what they mean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from scratch import scratch_database_env  # bench/ is the script's directory, first on sys.path

ROOT = Path(__file__).resolve().parent.parent
PROCEDURE = "PR.OTI.005"
ROLES = ["analista_mesa_servicios", "responsable_plataforma_correo"]
BAJA = {"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}
BATCH = 5_000  # cases per bulk-insert transaction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default=os.environ.get("MAPRO_DB_ENGINE"))
    parser.add_argument("--cases", type=int, action="append", help="closed cases (repeatable, ascending)")
    parser.add_argument("--open-cases", type=int, default=100, help="backlog of open cases in the inbox")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each throughput run")
    parser.add_argument("--clients", default="1,8", help="client threads per throughput run")
    parser.add_argument("--inbox-requests", type=int, default=300)
    parser.add_argument("--pool", type=int, default=600, help="pre-started cases before each pooled run")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: config/gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: sync workers)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn port (default: a free one)")
    parser.add_argument("--reuse", action="store_true", help="keep the database of a previous run")
    parser.add_argument(
        "--breakdown", type=int, metavar="CASES", default=0, help="also: CPU per phase of a completion"
    )
    args = parser.parse_args()
    args.db = args.db or "sqlite"
    args.cases = sorted(args.cases or [10_000])
    args.clients = [int(n) for n in args.clients.split(",")]
    return args


# -- database ------------------------------------------------------------------------------------------


def database_env(args: argparse.Namespace) -> dict[str, str]:
    """The MAPRO_* variables of the benchmark database (shared by this process and gunicorn)."""
    env = scratch_database_env("mapro_bench", engine=args.db, reuse=args.reuse)
    return env | {
        "MAPRO_SSL_REDIRECT": "0",  # the benchmark client speaks plain HTTP to 127.0.0.1
        "MAPRO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def prepare(args: argparse.Namespace) -> dict:
    """Schema, PR.OTI.005 and its demo people, the template case, the open backlog, the bench clients."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from mapro.cases.models import Case
    from mapro.cases.services import case_start, case_task_complete
    from mapro.catalogue.definition import Catalogue
    from mapro.catalogue.selectors import catalogue_from_repository
    from mapro.catalogue.services import procedure_versions_load
    from mapro.organization.models import Entity, Person, Role, RoleAssignment
    from mapro.organization.services import demo_people_create, demo_username

    call_command("migrate", verbosity=0)
    definitions = catalogue_from_repository().definitions  # both idempotent
    procedure_versions_load(catalogue=Catalogue(definitions={PROCEDURE: definitions[PROCEDURE]}))
    demo_people_create()
    entity = Entity.objects.get(code="MVCS")
    analyst, manager = (
        Person.objects.get(user__username=demo_username(entity=entity, role_code=role)) for role in ROLES
    )
    # The template is run by the demo people before the bench clients exist, so it notifies as many
    # people as a small office would (6 notifications); filled cases come after it (higher ids).
    template = Case.objects.filter(status=Case.Status.CLOSED).order_by("pk").first()
    if template is None:
        case = case_start(procedure_code=PROCEDURE, requester=analyst, inputs=BAJA)
        while (task := case.tasks.filter(status="open").first()) is not None:
            data = completion_payload({"activity": task.activity})["data"]
            case_task_complete(task_id=task.pk, actor=analyst if task.activity == 1 else manager, data=data)
        template = Case.objects.get(pk=case.pk)
        for _ in range(args.open_cases):
            case_start(procedure_code=PROCEDURE, requester=analyst, inputs=BAJA)
    # Each client is a person of its own (DRF gives one token per user) holding both roles of PR.OTI.005.
    people = []
    for i in range(1, max(args.clients) + 1):
        user, _ = get_user_model().objects.get_or_create(username=f"bench.client{i:02d}")
        someone, _ = Person.objects.get_or_create(
            user=user, defaults={"entity": entity, "full_name": f"Cliente de benchmark {i}"}
        )
        for role_code in ROLES:
            role = Role.objects.get(entity=entity, code=role_code)
            RoleAssignment.objects.get_or_create(person=someone, role=role, starts_on=dt.date(2020, 1, 1))
        people.append(someone)
    tokens = [Token.objects.get_or_create(user=p.user)[0].key for p in people]
    return {
        "template": template,
        "people": people,
        "tokens": tokens,
        "pool": queue.SimpleQueue(),
        "pooled": [],
    }


def closed_cases() -> int:
    from mapro.cases.models import Case

    return Case.objects.filter(status=Case.Status.CLOSED).count()


class Filler:
    """
    Copies of the template closed case, written with bulk inserts.

    Copy i started i × 5 minutes before the template (every date and time of its rows is shifted by as
    much), gets its own number (MVCS-<year>-B<i>) and ids after the current maximum of each table, and its
    audit events continue the entity's hash chain. Values are prepared once per template row; per copy only
    ids, foreign keys, the number and the shifted times change.
    """

    ORDER = ("Case", "CaseTask", "CaseRecord", "Deadline", "Notification", "AuditEvent")  # FK order

    def __init__(self, template) -> None:
        from django.db import connection

        from mapro.audit.models import AuditEvent
        from mapro.cases.models import Case, CaseRecord, CaseTask, Deadline, Notification

        self.vendor = connection.vendor
        self.template = template
        self.models = {
            "Case": Case,
            "CaseTask": CaseTask,
            "CaseRecord": CaseRecord,
            "Deadline": Deadline,
            "Notification": Notification,
            "AuditEvent": AuditEvent,
        }
        order = {"AuditEvent": "seq"}
        self.rows = {
            name: list(
                model.objects.filter(**({"pk": template.pk} if name == "Case" else {"case": template}))
                .order_by(order.get(name, "pk"))
                .values()
            )
            for name, model in self.models.items()
        }
        self.attnames = {
            name: [f.attname for f in m._meta.concrete_fields] for name, m in self.models.items()
        }

    def rows_per_case(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def _db(self, value):
        """A template value as the database takes it in a bulk insert (text for times and JSON)."""
        if isinstance(value, dt.datetime):
            moment = value.astimezone(dt.UTC)
            return str(moment.replace(tzinfo=None)) if self.vendor == "sqlite" else str(moment)
        if isinstance(value, dt.date):
            return str(value)
        if isinstance(value, dict | list):
            return json.dumps(value)
        return value

    def fill(self, count: int, start_index: int) -> int:
        """Insert `count` closed cases; returns the number of rows written."""
        from django.db import connection, transaction

        from mapro.audit.models import AuditChainHead

        t = self.template
        # Per model: the template rows as prepared values, and where times are (shifted per copy).
        prepared = {
            name: [[self._db(row[a]) for a in self.attnames[name]] for row in rows]
            for name, rows in self.rows.items()
        }
        # Times in UTC, naive on SQLite (as Django stores them there): str(time + shift) is the value.
        naive = self.vendor == "sqlite"
        times = {
            name: [
                [
                    (
                        k,
                        row[a].astimezone(dt.UTC).replace(tzinfo=None)
                        if naive
                        else row[a].astimezone(dt.UTC),
                    )
                    for k, a in enumerate(self.attnames[name])
                    if isinstance(row[a], dt.datetime)
                ]
                for row in rows
            ]
            for name, rows in self.rows.items()
        }
        after_json = [json.dumps(row["after"]) for row in self.rows["AuditEvent"]]
        position = {name: {a: k for k, a in enumerate(attnames)} for name, attnames in self.attnames.items()}
        written = 0
        if self.vendor == "sqlite":  # a bulk load: a big page cache for the index updates, no fsync
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -1048576")  # 1 GiB
                cursor.execute("PRAGMA synchronous = OFF")
        for batch_start in range(0, count, BATCH):
            size = min(BATCH, count - batch_start)
            with transaction.atomic():
                head = AuditChainHead.objects.select_for_update().get(chain=t.entity.code)
                next_id = {
                    name: (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
                    for name, model in self.models.items()
                }
                tables: dict[str, list[tuple]] = {name: [] for name in self.ORDER}
                for k in range(size):
                    i = start_index + batch_start + k
                    head.seq, head.hash = self._copy(
                        i, k, next_id, head, (prepared, times, position, after_json), tables
                    )
                for name in self.ORDER:
                    self._insert(connection, name, tables[name])
                    written += len(tables[name])
                head.save(update_fields=["seq", "hash"])
        return written

    def _copy(self, i, k, next_id, head, plan, tables):
        from mapro.audit.keys import event_mac
        from mapro.audit.services import event_hash

        t = self.template
        prepared, times, position, after_json = plan
        shift = -dt.timedelta(minutes=5 * (i + 1))
        number = f"{t.entity.code}-{(t.started_at + shift).year}-B{i + 1:07d}"
        case_id = next_id["Case"] + k
        new_ids = {}  # per model: template pk -> pk of the copy
        for name in self.ORDER:
            n = len(self.rows[name])
            new_ids[name] = {row["id"]: next_id[name] + k * n + j for j, row in enumerate(self.rows[name])}
        task_ids = new_ids["CaseTask"]
        for name in self.ORDER[:-1]:
            where = position[name]
            for j, row in enumerate(self.rows[name]):
                values = list(prepared[name][j])
                values[where["id"]] = new_ids[name][row["id"]]
                for pos, moment in times[name][j]:
                    values[pos] = str(moment + shift)
                if name == "Case":
                    values[where["number"]] = number
                else:
                    values[where["case_id"]] = case_id
                if row.get("task_id") is not None:
                    values[where["task_id"]] = task_ids[row["task_id"]]
                if name == "Notification":
                    values[where["message"]] = row["message"].replace(t.number, number)
                if name == "CaseRecord":
                    values[where["effective_date"]] = str((t.started_at + shift).date())
                tables[name].append(tuple(values))
        # Audit events: the content of the template's, for this copy, chained after the current head.
        seq, prev = head.seq, head.hash
        where = position["AuditEvent"]
        for j, row in enumerate(self.rows["AuditEvent"]):
            seq += 1
            object_id = row["object_id"]
            if row["object_type"] == "cases.Case":
                object_id = str(case_id)
            elif row["object_type"] == "cases.CaseTask":
                object_id = str(task_ids[int(object_id)])
            event = SimpleNamespace(**row)
            event.seq, event.prev_hash, event.object_id, event.case_id = seq, prev, object_id, case_id
            event.occurred_at = (row["occurred_at"] + shift).astimezone(dt.UTC)
            event.summary = row["summary"].replace(t.number, number)
            after = after_json[j].replace(t.number, number)
            event.after = json.loads(after)
            prev = event_hash(event)
            values = list(prepared["AuditEvent"][j])
            values[where["id"]] = new_ids["AuditEvent"][row["id"]]
            values[where["seq"]], values[where["prev_hash"]], values[where["hash"]] = (
                seq,
                event.prev_hash,
                prev,
            )
            values[where["mac"]] = event_mac(prev)  # signed as mapro signs its own (mapro/audit/keys.py)
            values[where["object_id"]], values[where["case_id"]] = object_id, case_id
            occurred = event.occurred_at
            values[where["occurred_at"]] = str(
                occurred.replace(tzinfo=None) if self.vendor == "sqlite" else occurred
            )
            values[where["summary"]], values[where["after"]] = event.summary, after
            tables["AuditEvent"].append(tuple(values))
        return seq, prev

    def _insert(self, connection, name: str, rows: list[tuple]) -> None:
        table = self.models[name]._meta.db_table
        columns = ", ".join(f.column for f in self.models[name]._meta.concrete_fields)
        if self.vendor == "postgresql":
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in self.attnames[name])
            connection.ensure_connection()
            connection.connection.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows
            )

    def finish(self) -> None:
        """
        PostgreSQL: identity sequences past the inserted ids, and fresh planner statistics (what autovacuum
        would soon do). SQLite gets no ANALYZE, as in production, where nothing runs it: with statistics,
        SQLite sees the index on `cases_case.parent_id` as useless (its NULLs count as one value shared by
        all the top-level cases) and scans the table for a case's children, 1.5 s each at 1 M cases.
        """
        from django.db import connection

        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in self.models.values():
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            cursor.execute("ANALYZE")


# -- measurements --------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(values: list[float]) -> str:
    if not values:
        return "no samples"
    return f"p50 {percentile(values, 0.5) * 1000:6.1f} ms, p95 {percentile(values, 0.95) * 1000:6.1f} ms"


class Server:
    def __init__(self, args: argparse.Namespace, env: dict[str, str]) -> None:
        self.port = args.port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            f"--config={ROOT / 'config' / 'gunicorn.conf.py'}",  # what production runs
            f"--bind=127.0.0.1:{self.port}",
            "--log-level=warning",
        ]
        command += [f"--workers={args.workers}"] if args.workers else []
        command += [f"--threads={args.threads}"] if args.threads else []
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)

    def wait_ready(self, client: ApiClient) -> None:
        for _ in range(300):
            try:
                if client.call("GET", "/api/v1/tasks/")[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                client.connection.close()
            if self.process.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        raise SystemExit("gunicorn is not answering")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ApiClient:
    """
    One keep-alive HTTP/1.1 connection with a person's token. The clients run on the same 2 cores as the
    server, so they are kept light: http.client costs a fraction of the CPU of requests per call.
    """

    def __init__(self, server: Server, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        payload = json.dumps(body).encode() if body is not None else None
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        content = response.read()
        return response.status, json.loads(content) if content else None


class CpuMeter:
    """
    CPU seconds used by the server side while it runs: gunicorn's processes and, on PostgreSQL, the backends
    serving the benchmark database (found by their process title). On a shared machine the wall-clock
    figures suffer from other load; CPU per request much less, and it bounds what 2 dedicated cores can do.
    Processes are sampled every 0.2 s, so a backend that comes and goes during the run is counted too.
    """

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, server: Server) -> None:
        from django.db import connection

        self.group = server.process.pid
        self.database = f" {connection.settings_dict['NAME']} " if connection.vendor == "postgresql" else None
        self.first: dict[str, dict[int, float]] = {}
        self.last: dict[str, dict[int, float]] = {"app": {}, "db": {}}
        self.done = threading.Event()

    @classmethod
    def cpu(cls, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / cls.TICK  # utime + stime

    def sample(self) -> dict[str, dict[int, float]]:
        found: dict[str, dict[int, float]] = {"app": {}, "db": {}}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / self.TICK
                if int(fields[2]) == self.group:  # gunicorn's process group: master and workers
                    found["app"][int(proc.name)] = cpu
                elif self.database and self.database in (proc / "cmdline").read_text():
                    found["db"][int(proc.name)] = cpu
            except (OSError, ValueError, IndexError):
                continue
        return found

    def workers(self) -> list[int]:
        return [pid for pid in self.sample()["app"] if pid != self.group]

    def _watch(self) -> None:
        while not self.done.wait(0.2):
            for key, cpus in self.sample().items():
                self.last[key].update(cpus)

    def start(self) -> None:
        self.first = self.sample()
        self.client = time.process_time()
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    def stop(self) -> dict[str, float]:
        """CPU seconds used since `start`: app, db and this (client) process."""
        self.done.set()
        self.watcher.join()
        client = time.process_time() - self.client
        for key, cpus in self.sample().items():
            self.last[key].update(cpus)
        used = {
            key: sum(cpu - self.first[key].get(pid, 0.0) for pid, cpu in self.last[key].items())
            for key in ("app", "db")
        }
        return used | {"client": client}


def cpu_line(used: dict[str, float], count: int) -> str:
    per = {key: value / max(count, 1) * 1000 for key, value in used.items()}
    server = per["app"] + per["db"]
    return (
        f"CPU per request: app {per['app']:.1f} ms + db {per['db']:.1f} ms (client {per['client']:.1f} ms)"
        f" → at most {2000 / server:.0f}/s on 2 dedicated cores"
        if server
        else ""
    )


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def inbox_latency(args, server: Server, state: dict) -> dict:
    from mapro.cases.selectors import tasks_for_person_rows

    client = ApiClient(server, state["tokens"][0])
    rows = len(client.call("GET", "/api/v1/tasks/")[1])
    meter = CpuMeter(server)
    meter.start()
    http = []
    for _ in range(args.inbox_requests):
        started = time.perf_counter()
        status, body = client.call("GET", "/api/v1/tasks/")
        http.append(time.perf_counter() - started)
        assert status == 200, body
    used = meter.stop()
    selector, selector_cpu = [], []
    for _ in range(args.inbox_requests):
        started, cpu = time.perf_counter(), time.process_time()
        list(tasks_for_person_rows(person=state["people"][0])[:500])
        selector.append(time.perf_counter() - started)
        selector_cpu.append(time.process_time() - cpu)
    return {"rows": rows, "http": http, "cpu": used, "selector": selector, "selector_cpu": selector_cpu}


# The record each activity of PR.OTI.005 produces (a completion without it is refused).
RECORDS = {1: "correo_baja", 3: "respaldo_pst", 4: "correo_culminacion"}


def completion_payload(task: dict) -> dict:
    record = RECORDS.get(task["activity"])
    return {"data": {record: {"observaciones": "PST 2 GB"}} if record else {}}


def client_loop(client: ApiClient, pool: queue.SimpleQueue | None, stop_at: float, out: dict) -> None:
    """
    Complete PR.OTI.005 tasks until `stop_at`: those of pre-started cases taken from `pool`, else of cases
    this client starts through the API. Completions finished by then count. The case in hand is then
    finished (uncounted), so runs leave no open tasks behind to grow the inbox.
    """
    while time.perf_counter() < stop_at:
        try:
            task = pool.get_nowait() if pool is not None else None
        except queue.Empty:
            task = None
        if task is None:
            status, case = client.call("POST", "/api/v1/cases/", {"procedure": PROCEDURE, "inputs": BAJA})
            if status != 201:
                out["errors"].append(status)
                return
            out["starts"] += 1
            task = next(t for t in case["tasks"] if t["status"] == "open")
        while task is not None:
            started = time.perf_counter()
            status, progress = client.call(
                "POST", f"/api/v1/tasks/{task['id']}/complete/", completion_payload(task)
            )
            finished = time.perf_counter()
            if status != 200:
                out["errors"].append(status)
                return
            out["all"] += 1
            if finished <= stop_at:
                out["latencies"].append(finished - started)
            task = progress["open_tasks"][0] if progress["open_tasks"] else None


def pool_fill(state: dict, size: int) -> float:
    """Top the pool of pre-started cases (first task open) up to `size`, through the services."""
    from mapro.cases.models import CaseTask
    from mapro.cases.services import case_start

    began = time.perf_counter()
    pool = state["pool"]
    while pool.qsize() < size:
        case = case_start(procedure_code=PROCEDURE, requester=state["people"][0], inputs=BAJA)
        task = case.tasks.get(status=CaseTask.Status.OPEN)
        pool.put({"id": task.pk, "activity": task.activity})
        state["pooled"].append(case.pk)
    return time.perf_counter() - began


def pool_cancel(state: dict) -> None:
    """Cancel the pre-started cases no run took, so they do not sit in the next inbox measured."""
    from mapro.cases.models import Case
    from mapro.cases.services import case_cancel

    for case in Case.objects.filter(pk__in=state["pooled"], status=Case.Status.OPEN):
        case_cancel(case_id=case.pk, actor=state["people"][0], reason="Fin del benchmark")
    state["pool"], state["pooled"] = queue.SimpleQueue(), []


def throughput(server: Server, state: dict, clients: int, seconds: float, *, pooled: bool) -> dict:
    """
    `clients` threads complete tasks for `seconds`; completions are counted in that window. With `pooled`,
    they take the cases from the pool of pre-started cases; otherwise they start every case themselves.
    """
    api = [ApiClient(server, token) for token in state["tokens"][:clients]]
    outs = [{"starts": 0, "all": 0, "latencies": [], "errors": []} for _ in api]
    pool = state["pool"] if pooled else None
    meter = CpuMeter(server)
    meter.start()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=client_loop, args=(client, pool, started + seconds, out))
        for client, out in zip(api, outs, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = [latency for out in outs for latency in out["latencies"]]
    return {
        "completions": len(latencies),
        "per_second": len(latencies) / seconds,
        "starts": sum(out["starts"] for out in outs),
        "all": sum(out["all"] for out in outs),  # with those made after the window, for CPU per completion
        "latencies": latencies,
        "errors": [e for out in outs for e in out["errors"]],
        "cpu": meter.stop(),
    }


def warm_up(server: Server, state: dict, clients: int) -> None:
    """
    Run the workload until every worker has imported the URLconf, API and engine and parsed the procedure
    (about a CPU second each): otherwise that one-off work lands in the first measurement.
    """
    meter = CpuMeter(server)
    cold = {pid: meter.cpu(pid) for pid in meter.workers()}
    for _ in range(12):
        throughput(server, state, clients, 3.0, pooled=False)
        if all(meter.cpu(pid) - cpu >= 1.5 for pid, cpu in cold.items()):
            return
    print("warning: some workers are still cold after the warm-up", file=sys.stderr)


def inbox_plan(state: dict) -> str:
    """The database's plan for the inbox query (EXPLAIN ANALYZE on PostgreSQL)."""
    from django.db import connection

    from mapro.cases.selectors import tasks_for_person_rows

    queryset = tasks_for_person_rows(person=state["people"][0])[:500]
    if connection.vendor == "postgresql":
        return queryset.explain(analyze=True)
    return queryset.explain()


def measure(args, env: dict[str, str], state: dict) -> None:
    server = Server(args, env)
    try:
        server.wait_ready(ApiClient(server, state["tokens"][0]))
        warm_up(server, state, max(args.clients))
        inbox = inbox_latency(args, server, state)
        print(f"\n== {closed_cases():,} closed cases; inbox of {inbox['rows']} open tasks; {load()} ==")
        print(f"inbox GET /api/v1/tasks/       {ms(inbox['http'])}  ({len(inbox['http'])} requests)")
        print(f"    {cpu_line(inbox['cpu'], len(inbox['http']))}")
        print(f"inbox tasks_for_person_rows    {ms(inbox['selector'])}  (CPU {ms(inbox['selector_cpu'])})")
        for pooled in (True, False):
            print(
                "completions of pre-started cases:"
                if pooled
                else "whole cases: each client starts its cases (POST /api/v1/cases/) and completes them:"
            )
            for clients in args.clients:
                if pooled:
                    took = pool_fill(state, args.pool)
                    print(f"  (pool topped up to {args.pool} open cases in {took:.1f} s, unmeasured)")
                result = throughput(server, state, clients, args.seconds, pooled=pooled)
                errors = f", ERRORS {result['errors']}" if result["errors"] else ""
                print(
                    f"  {clients} client(s): {result['per_second']:6.1f} completions/s "
                    f"({result['completions']} in {args.seconds:.0f} s, {result['starts']} cases started "
                    f"through the API), completion {ms(result['latencies'])}{errors}; {load()}"
                )
                # Per completion, with the case starts made through the API in the window.
                print(f"      {cpu_line(result['cpu'], result['all'])}")
        print("inbox plan:\n  " + inbox_plan(state).replace("\n", "\n  "))
    finally:
        server.stop()
        pool_cancel(state)


# Where a completion's CPU goes: (module, function) wrapped to add up the thread CPU time spent inside,
# patched where the callers look them up. Inclusive times: a phase contains the phases it calls.
PHASES = [
    ("api.views", "TaskCompleteApi.post", "the whole request handler (POST …/complete/)"),
    ("mapro.cases.services", "case_task_complete", "  service case_task_complete"),
    ("mapro.cases.services.cases", "_check_can_act", "    role check (organization selectors)"),
    ("mapro.cases.services.cases", "_locked_case", "    lock and read the case"),
    ("mapro.cases.services.cases", "_task_finish", "    engine step and projections"),
    ("mapro.engine.runtime", "workflow_load", "      SpiffWorkflow: load the state"),
    ("mapro.engine.runtime", "workflow_complete_task", "      SpiffWorkflow: run the task"),
    ("mapro.engine.runtime", "workflow_dump", "      SpiffWorkflow: dump the state"),
    ("mapro.cases.services.sync", "activity_completed_settle", "      settle deadlines, notify RACI I"),
    ("mapro.cases.services.sync", "_informed_notify", "        notifications (role holders, insert)"),
    ("mapro.cases.services.sync", "case_tasks_sync", "      task projection, new deadlines"),
    ("mapro.cases.services.cases", "audit_event_record", "      audit event (hash chain)"),
    ("api.serializers", "TaskCompletionOut.to_representation", "  response: the completion serialized"),
]


def breakdown(state: dict, cases: int) -> None:
    """Run `cases` cases in this process through the API (DRF test client) and attribute the CPU."""
    import importlib
    from functools import wraps

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    spent: dict[str, float] = dict.fromkeys((label for _, _, label in PHASES), 0.0)
    completing = [False]  # phases count only inside a completion (case_response also serves case starts)

    def timed(function, label):
        @wraps(function)
        def wrapper(*args, **kwargs):
            outermost = label == PHASES[0][2]
            if not (outermost or completing[0]):
                return function(*args, **kwargs)
            completing[0] = True
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.thread_time() - started
                completing[0] = completing[0] and not outermost

        return wrapper

    patched = []
    for module_name, attribute, label in PHASES:
        owner = importlib.import_module(module_name)
        path = attribute.split(".")
        for part in path[:-1]:
            owner = getattr(owner, part)
        original = getattr(owner, path[-1])
        setattr(owner, path[-1], timed(original, label))
        patched.append((owner, path[-1], original))
    client = APIClient(HTTP_HOST="localhost")  # one of ALLOWED_HOSTS
    client.credentials(HTTP_AUTHORIZATION=f"Token {state['tokens'][0]}")
    completions = queries = 0
    try:
        for _ in range(cases):
            start = {"procedure": PROCEDURE, "inputs": BAJA}
            case = client.post("/api/v1/cases/", start, format="json").json()
            task = next(t for t in case["tasks"] if t["status"] == "open")
            while task is not None:
                with CaptureQueriesContext(connection) as captured:
                    url = f"/api/v1/tasks/{task['id']}/complete/"
                    response = client.post(url, completion_payload(task), format="json")
                queries += len(captured)
                completions += 1
                open_tasks = response.json()["open_tasks"]
                task = open_tasks[0] if open_tasks else None
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)
    print(
        f"\nCPU of one completion in this process ({completions} completions, {queries / completions:.0f} "
        "SQL queries each; database server time not included):"
    )
    for _, _, label in PHASES:
        print(f"  {label:<52} {spent[label] / completions * 1000:6.1f} ms")


def gunicorn_layout(args: argparse.Namespace) -> str:
    workers = args.workers or 2 * (os.cpu_count() or 1) + 1  # config/gunicorn.conf.py's default
    return f"{workers} workers" + (f" × {args.threads} threads" if args.threads else " (sync)")


def main() -> None:
    args = parse_args()
    env = database_env(args)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    print(
        f"# mapro cases throughput — {args.db}, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"{os.cpu_count()} CPUs, gunicorn {gunicorn_layout(args)}; {load()}"
    )
    began = time.perf_counter()
    state = prepare(args)
    print(
        f"prepared (schema, {PROCEDURE}, people, template, {args.open_cases} open cases) "
        f"in {time.perf_counter() - began:.1f} s"
    )
    filler = Filler(state["template"])
    for target in args.cases:
        have = closed_cases()
        if have < target:
            began = time.perf_counter()
            rows = filler.fill(target - have, start_index=have)
            filler.finish()
            took = time.perf_counter() - began
            print(
                f"\nfilled {target - have:,} closed cases ({rows:,} rows, {filler.rows_per_case()} per case) "
                f"in {took:.1f} s ({rows / took:,.0f} rows/s); {load()}"
            )
        measure(args, env, state)
    if args.breakdown:
        breakdown(state, args.breakdown)


if __name__ == "__main__":
    main()
