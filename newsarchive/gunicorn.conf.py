"""Gunicorn settings of the production server (`make serve`, docs/deployment.md).

Every value can be changed from the environment, so one file serves a laptop and a
server:

- ``HOST`` / ``PORT`` (default ``127.0.0.1:8000``): where to listen.
- ``WEB_CONCURRENCY``: worker processes (default: twice the usable CPUs, plus one).
- ``GUNICORN_THREADS`` (default 1): threads per worker; above 1 the ``gthread`` worker
  is used, and each thread holds its own database connection.
- ``GUNICORN_TIMEOUT`` (default 30 s): a worker silent for longer is killed and replaced.
- ``GUNICORN_MAX_REQUESTS`` (default 2000): a worker is replaced, gracefully, after about
  this many requests (0: never).
- ``FORWARDED_ALLOW_IPS`` (default ``127.0.0.1,::1``): the proxies whose
  ``X-Forwarded-*`` headers are trusted.
- ``GUNICORN_CONTROL_SOCKET`` (default ``var/gunicorn.ctl``): gunicornc's socket.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _usable_cpus() -> int:
    # The CPUs this process may run on: a container's limit, not the host's count.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


wsgi_app = "newsarchive.wsgi:application"
chdir = str(BASE_DIR)
bind = [f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"]

workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _usable_cpus() + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer is a bug or a stuck query: the worker is replaced rather
# than holding a slot forever. Graceful restarts (SIGHUP, max_requests) give the
# requests in flight as long to finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = timeout
keepalive = 5
# Replacing workers from time to time bounds the memory a long-lived process can gather
# (the linker's automaton, caches); the jitter keeps them from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 2000)
max_requests_jitter = max_requests // 10

# The heartbeat file in memory: on a disk-backed /tmp a slow fsync can stall a worker
# until the arbiter kills it.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None

# The TLS proxy in front sets X-Forwarded-Proto (docs/deployment.md); only these
# addresses may. Django reads the same header through SECURE_PROXY_SSL_HEADER, so the
# proxy must overwrite whatever a client sent.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or str(BASE_DIR / "var/gunicorn.ctl")

proc_name = "newsarchive"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
# The client address as the proxy saw it, then the request, status, size and the time
# it took in milliseconds (%(M)s), so slow pages show in the log.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
