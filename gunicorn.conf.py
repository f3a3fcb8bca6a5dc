"""gunicorn configuration for the Flask app (`make flask` uses it; so should production).

    gunicorn -c gunicorn.conf.py 'flask_app:create_app()'

Why these values (2-core machine, models loaded once per worker after fork):

* ``gthread`` workers with a thread pool: a slow client holds one thread, not a whole worker,
  and the worker keeps its heartbeat, so gunicorn never kills it for a slow upload. gunicorn
  hands a connection to a thread only once data has arrived.
* The app itself gives each request body ``RA_BODY_TIMEOUT`` seconds (web/deadline.py) and
  answers 408 JSON after that; ``timeout`` here is only the heartbeat for a stuck worker.
* Request line and header limits are gunicorn's hardened defaults, stated.
* No ``Server: gunicorn`` banner.

Every value can be overridden with an environment variable of the same name in upper case
prefixed ``GUNICORN_`` (e.g. ``GUNICORN_WORKERS=4``) or on the command line.
"""

import os


def _env(name: str, default):
    return type(default)(os.environ.get(f"GUNICORN_{name.upper()}", default))


bind = _env("bind", "127.0.0.1:8000")
workers = _env("workers", 2)
worker_class = "gthread"
threads = _env("threads", 16)
worker_connections = _env("worker_connections", 200)
timeout = _env("timeout", 30)
graceful_timeout = _env("graceful_timeout", 20)
keepalive = _env("keepalive", 5)
max_requests = _env("max_requests", 2000)  # recycle workers now and then (fragmentation)
max_requests_jitter = _env("max_requests_jitter", 200)
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190
control_socket_disable = True  # no admin socket in the home folder
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
# No PHI in logs: the access log line has no query string or body, and the app logs no values.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def on_starting(server):
    import gunicorn.http.wsgi

    gunicorn.http.wsgi.SERVER = "ra-decision-support"  # replaces the "gunicorn" banner


def post_fork(server, worker):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
