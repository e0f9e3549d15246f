"""
gunicorn settings for serving mapro: `gunicorn -c config/gunicorn.conf.py config.wsgi`.
The benchmark (bench/cases_throughput.py) serves the application with these settings too.
"""

import multiprocessing
import os

bind = os.environ.get("MAPRO_BIND", "127.0.0.1:8000")
# Sync workers, 2 × cores + 1 processes: a request is CPU-bound Python, and threads inside a worker only
# add GIL hand-offs (measured on 2 cores: ~7 ms more CPU per task completion with gthread; bench/README.md).
workers = int(os.environ.get("MAPRO_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
preload_app = True  # Django is set up once, before the workers fork
timeout = 60
accesslog = "-" if os.environ.get("MAPRO_ACCESS_LOG") == "1" else None
