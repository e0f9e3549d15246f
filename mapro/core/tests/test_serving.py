"""
The production server settings (config/gunicorn.conf.py) load and say what README and bench/ rely on; real
gunicorn processes restart after a kill -9 of the master and keep to their own control socket.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gunicorn.ctl.client import ControlClient

ROOT = Path(__file__).resolve().parents[3]


def gunicorn_config(**env: str) -> dict[str, str]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    printed = subprocess.run(
        [str(gunicorn), "--print-config", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pairs = (line.split("=", 1) for line in printed.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def test_sync_workers_two_per_core_plus_one_by_default():
    config = gunicorn_config()
    assert config["worker_class"] == "sync"
    assert config["threads"] == "1"
    assert config["workers"] == str(2 * os.cpu_count() + 1)
    assert config["preload_app"] == "True"


def test_workers_and_address_come_from_the_environment():
    config = gunicorn_config(MAPRO_WORKERS="3", MAPRO_BIND="0.0.0.0:9000")
    assert (config["workers"], config["bind"]) == ("3", "['0.0.0.0:9000']")


# --- real servers: restart after kill -9 of the master, one control socket per instance ------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> int | None:
    """The status of GET /ingresar/ as the reverse proxy would send it, or None if nothing answers."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/ingresar/", headers={"X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Gunicorn:
    """gunicorn with the production settings, in a process group of its own (as systemd's cgroup)."""

    def __init__(self, var_dir: Path, port: int) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "MAPRO_DEBUG": "0",
            "MAPRO_BEHIND_PROXY": "1",
            "MAPRO_VAR_DIR": str(var_dir),
            "MAPRO_SQLITE_PATH": str(var_dir / "mapro.sqlite3"),
            "MAPRO_BIND": f"127.0.0.1:{port}",
            "MAPRO_WORKERS": "2",
        }
        env.pop("MAPRO_CONTROL_SOCKET", None)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "-c", "config/gunicorn.conf.py", "config.wsgi"]
        self.log = open(var_dir / f"gunicorn-{port}.log", "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True
        )
        self.port = port

    def wait_until_serving(self, seconds: float = 20) -> float:
        """Seconds until a 200 (fails if the master exits or nothing answers in time)."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            assert self.process.poll() is None, Path(self.log.name).read_text()[-2000:]
            if answers(self.port) == 200:
                return time.monotonic() - start
            time.sleep(0.1)
        raise AssertionError(f"no 200 in {seconds} s: " + Path(self.log.name).read_text()[-2000:])

    def group_alive(self) -> bool:
        """Whether a process of the group still runs (zombies waiting for init to reap them do not)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # pid (comm) state ppid pgrp …: split after the command name, which may hold spaces.
                state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
            except (OSError, IndexError):
                continue  # the process ended meanwhile
            if int(pgrp) == self.process.pid and state != "Z":
                return True
        return False

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()


@pytest.fixture
def servers(tmp_path):
    started: list[Gunicorn] = []

    def start(port: int) -> Gunicorn:
        server = Gunicorn(tmp_path, port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_restart_after_kill_9_of_the_master(servers):
    port = free_port()
    first = servers(port)
    first.wait_until_serving()
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait()
    # The workers die with their master (post_fork): no orphan keeps the port for its ~30 s idle check.
    deadline = time.monotonic() + 3
    while first.group_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not first.group_alive(), "orphaned workers outlived the master"
    # What systemd does next with KillMode=control-group (nothing is left to kill), then Restart=.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(first.process.pid, signal.SIGKILL)
    second = servers(port)
    assert second.wait_until_serving(seconds=10) < 10


def test_two_instances_have_their_own_control_socket(servers, tmp_path):
    ports = free_port(), free_port()
    instances = [servers(port) for port in ports]
    for instance in instances:
        instance.wait_until_serving()
    for instance in instances:
        path = tmp_path / "run" / f"gunicorn-127.0.0.1-{instance.port}.ctl"
        # The arbiter opens its control socket after the workers answer: on a loaded machine, a moment later.
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        with ControlClient(str(path), timeout=5) as client:
            assert client.send_command("show all")["arbiter"]["pid"] == instance.process.pid
