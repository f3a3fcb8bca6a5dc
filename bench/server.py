"""The production server for benchmarks and tests: gunicorn with the committed configuration
on a free loopback port, plus the small HTTP helpers the benchmarks share."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> set[int]:
    """The worker processes of a gunicorn master."""
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return set()
    return {int(x) for x in out.split()}


class Server:
    """gunicorn -c gunicorn.conf.py on a free port; a context manager."""

    def __init__(self, env: dict | None = None, workers: int = 2):
        self.port = free_port()
        self.env = {**os.environ, "RA_SECRET_KEY": secrets.token_hex(16), "TF_CPP_MIN_LOG_LEVEL": "2",
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(workers),
                    "GUNICORN_ACCESSLOG": "", **(env or {})}
        self.workers = workers
        self.log = b""

    def __enter__(self) -> Server:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", "flask_app:create_app()"],
                                     cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                if r.status in (200, 503) and len(children(self.proc.pid)) >= self.workers:
                    self.pids = children(self.proc.pid)
                    for _ in range(2 * self.workers):  # load the models in every worker
                        self.request("GET", "/healthz")
                    return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("gunicorn did not start: " + self.log.decode(errors="replace")[-2000:])

    def request(self, method: str, path: str, body: bytes | None = None, headers=None,
                timeout: float = 60) -> tuple[int, dict, bytes]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            try:
                c.request(method, path, body, headers or {})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered (and closed) before the body was sent: read it
            try:
                r = c.getresponse()
                return r.status, dict(r.getheaders()), r.read()
            except (OSError, http.client.HTTPException):
                return 0, {}, b""  # counted as "other": no HTTP answer at all
        finally:
            c.close()

    def __exit__(self, *exc) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            _, self.log = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            _, self.log = self.proc.communicate()


def multipart(data: bytes, name: str = "hand.png") -> tuple[bytes, str]:
    b = "fuzzboundary7d1e"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{b}--\r\n".encode()
    return body, f"multipart/form-data; boundary={b}"
