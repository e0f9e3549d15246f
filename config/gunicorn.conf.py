"""
gunicorn settings for serving mapro: `gunicorn -c config/gunicorn.conf.py config.wsgi`.
The benchmark (bench/cases_throughput.py) serves the application with these settings too.
Operations (systemd units, restarts): docs/operations.md.
"""

import ctypes
import hashlib
import multiprocessing
import os
import re
import signal
import tempfile
from pathlib import Path

bind = os.environ.get("MAPRO_BIND", "127.0.0.1:8000")
# Sync workers, 2 × cores + 1 processes: a request is CPU-bound Python, and threads inside a worker only
# add GIL hand-offs (measured on 2 cores: ~7 ms more CPU per task completion with gthread; bench/README.md).
workers = int(os.environ.get("MAPRO_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
preload_app = True  # Django is set up once, before the workers fork
timeout = 60
accesslog = "-" if os.environ.get("MAPRO_ACCESS_LOG") == "1" else None

VAR_DIR = Path(os.environ.get("MAPRO_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes on Linux


def control_socket_for(binds: list[str]) -> str:
    """
    One control socket per instance (gunicorn's default, $XDG_RUNTIME_DIR/gunicorn.ctl, is shared by every
    instance of the user: a second one takes it over and `gunicornc` then talks to the wrong server).
    Named after the addresses served, under the var directory; MAPRO_CONTROL_SOCKET chooses another path.
    """
    if explicit := os.environ.get("MAPRO_CONTROL_SOCKET"):
        return explicit
    name = re.sub(r"[^A-Za-z0-9.]+", "-", "_".join(binds)).strip("-")
    path = str(VAR_DIR / "run" / f"gunicorn-{name}.ctl")
    if len(path) > SOCKET_PATH_MAX:
        digest = hashlib.sha256(path.encode()).hexdigest()[:16]
        path = str(Path(tempfile.gettempdir()) / f"mapro-gunicorn-{digest}.ctl")
    return path


def on_starting(server) -> None:
    # Here rather than as a plain setting: the addresses are known only after the command line (--bind).
    server.cfg.set("control_socket", control_socket_for(server.cfg.bind))


def post_fork(server, worker) -> None:
    """
    Linux: a worker dies with its master. After `kill -9` of the master, orphaned sync workers would keep
    the listening socket (and serve with no one supervising them) until their next idle check, ~30 s,
    and a new master could not bind the port meanwhile. systemd (KillMode=control-group) kills them too;
    this covers a master started by hand or by another supervisor.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except AttributeError:  # not Linux
        return
    pr_set_pdeathsig = 1
    prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != server.pid:  # the master died before the line above
        os._exit(1)
