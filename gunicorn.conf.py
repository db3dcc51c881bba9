"""Gunicorn settings for `make serve` (docs/deploy.md).

Synchronous workers sized from the machine's cores; every number can be set from the
environment. Each worker (each thread, with GUNICORN_THREADS) keeps its own persistent
database connection, so PostgreSQL needs at least workers × threads connections per
app server.
"""

import os

from gunicorn.http import wsgi

_cores = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Synchronous workers, one request at a time each, one process per core and one more.
# A sync worker takes a connection only when it is free, so the kernel hands each new
# connection to an idle process and both cores stay busy. Threaded workers (gthread)
# accept every connection they can and keep it alive: under load some processes held
# most of the busy connections while others idled, and the cores ran half used (the
# question page: 81 requests a second against 207 with sync workers, wrk, 8
# connections). Under the real mix on SQLite this served 1,600 people within the
# latency goal instead of 900 (bench/results/2026-12-05-sync-workers.md).
# Sync workers read requests from one client at a time, so they belong behind a
# buffering proxy, as gunicorn asks and docs/deploy.md sets up (nginx): a client that
# trickles its request ties up only the proxy. GUNICORN_THREADS above 1 turns them into
# gthread workers again.
worker_class = "sync"
workers = int(os.environ.get("GUNICORN_WORKERS", _cores + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
if threads > 1:
    worker_class = "gthread"

# A request that takes longer is stuck: the worker is restarted. The database's own
# statement_timeout (DJANGO_DB_STATEMENT_TIMEOUT_MS) ends slow queries well before this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so slow leaks cannot build up.
# (0 turns recycling off: bench/run.py does, as a restart drops keep-alive connections.)
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200 if max_requests else 0

# Django writes one JSON line per request (studyhub.middleware.RequestLogMiddleware),
# so gunicorn's own access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Trust X-Forwarded-Proto from these proxy addresses only (gunicorn's default:
# the same machine). Set FORWARDED_ALLOW_IPS for a proxy on another machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No control socket: several servers (and test runs) on one machine would share its path.
control_socket_disable = True

# No "Server: gunicorn" on responses: gunicorn writes it in every response's first
# lines and has no setting for it, so leave that line out (the config is loaded in
# the master before workers fork, so every worker has this).
_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [line for line in _default_headers(self) if not line.startswith("Server:")]


wsgi.Response.default_headers = _default_headers_without_server


def on_starting(server):
    """Load the answer check's embedding model (questions/semantic.py) and the Markdown
    parser (studyhub/markdown.py) in the master,
    before any worker forks: every worker, and every worker that replaces a recycled
    one, starts with it loaded and shares its memory, and no learner's first check
    waits for the load (about half a second)."""
    from questions import semantic

    semantic.model()
    # The Markdown parser's extensions are registered on import, once, in the master:
    # a worker's threads never race to do it (studyhub/markdown.py).
    import studyhub.markdown  # noqa: F401


def post_worker_init(worker):
    """Move everything loaded so far (Django, the app, the model) out of the garbage
    collector's sight: a full collection otherwise walks all of it, 30-40 ms here, in
    whichever request happens to trigger one (bench/answer_check.py saw it as the
    slowest check). Objects made by requests are collected as before."""
    import gc

    gc.collect()
    gc.freeze()
