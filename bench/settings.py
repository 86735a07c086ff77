"""Settings of the benchmark: the project's own, as production runs them, plus two bench-only parts.

* ``DEBUG`` off (no query log kept in memory, no debug pages), with a throw-away ``SECRET_KEY``
  when none is given, and persistent connections (``CONN_MAX_AGE=60``) unless told otherwise;
* static files through the plain storage, so that pages render without ``collectstatic``;
* ``ROOT_URLCONF`` = ``bench.urls``: the project's URLs plus the trivial views that measure the
  framework's own cost (they exist only here, never in the application's URLs).
"""

import os
import warnings

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-" + "x" * 16)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Persistent connections as production runs them (README), and with them the prepared statements
# of common/prepared.py; the load test passes its own --conn-max-age.
os.environ.setdefault("CONN_MAX_AGE", "60")

from config.settings import *  # noqa: F403
from config.settings import STORAGES

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# WhiteNoise looks for collected static files, which the benchmark does not need.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
# The load test logs in over plain HTTP on loopback.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
