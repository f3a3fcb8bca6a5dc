"""A deadline for reading the request body, so a client trickling bytes cannot hold a thread.

gunicorn's ``timeout`` only watches worker heartbeats, and its body reader retries through
socket timeouts: a client that sends one byte a second keeps a request thread busy for as
long as it likes. :class:`BodyDeadline` gives the whole body ``seconds`` to arrive. One
watchdog thread per process holds the deadlines; when one passes while the app is still
reading, it shuts the *read* side of that client's socket (``environ['gunicorn.socket']``),
so the blocked read returns at once, and the app raises Werkzeug's
:class:`~werkzeug.exceptions.RequestTimeout`, answered as 408 (JSON under ``/api/``) — never
as the server's HTML 500. The write side stays open for that answer.

In production a reverse proxy that buffers whole requests (nginx's default
``proxy_request_buffering on`` with ``client_body_timeout``/``client_header_timeout``)
absorbs slow clients before they reach a worker at all; see the README's deployment notes.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time

from werkzeug.exceptions import RequestTimeout

MESSAGE = ("The request body arrived too slowly (not complete after {s:g} s); the connection "
           "was closed. Send the file again on a faster connection.")


class _Watchdog:
    """One daemon thread: shut the read side of sockets whose deadline passed."""

    def __init__(self):
        self._heap: list = []
        self._live: dict[int, socket.socket] = {}
        self._ids = itertools.count()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, sock, deadline: float) -> int:
        with self._cv:
            key = next(self._ids)
            self._live[key] = sock
            heapq.heappush(self._heap, (deadline, key))
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(target=self._run, name="body-deadline", daemon=True)
                self._thread.start()
            self._cv.notify()
            return key

    def cancel(self, key: int) -> None:
        with self._cv:
            self._live.pop(key, None)

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)
                wait = None if not self._heap else self._heap[0][0] - time.monotonic()
                if wait is None or wait > 0:
                    self._cv.wait(timeout=wait)
                    continue
                _, key = heapq.heappop(self._heap)
                sock = self._live.pop(key, None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RD)
                except OSError:
                    pass


_WATCHDOG = _Watchdog()


class _DeadlineInput:
    def __init__(self, stream, deadline: float, seconds: float, on_done):
        self._stream, self._deadline, self._seconds, self._on_done = stream, deadline, seconds, on_done

    def _call(self, fn, *args):
        if time.monotonic() >= self._deadline:
            raise RequestTimeout(MESSAGE.format(s=self._seconds))
        try:
            data = fn(*args)
        except Exception as e:  # noqa: BLE001 - a server's reader may raise its own EOF type
            if time.monotonic() >= self._deadline:
                raise RequestTimeout(MESSAGE.format(s=self._seconds)) from e
            raise
        if time.monotonic() >= self._deadline:  # the watchdog cut the read short
            raise RequestTimeout(MESSAGE.format(s=self._seconds))
        if not data:
            self._on_done()
        return data

    def read(self, *args):
        return self._call(self._stream.read, *args)

    def readline(self, *args):
        return self._call(self._stream.readline, *args)

    def readlines(self, *args):
        return self._call(self._stream.readlines, *args)

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class BodyDeadline:
    """WSGI middleware: the whole request body must arrive within ``seconds``."""

    def __init__(self, app, seconds: float):
        self.app = app
        self.seconds = float(seconds)

    def __call__(self, environ, start_response):
        stream = environ.get("wsgi.input")
        if self.seconds <= 0 or stream is None:
            return self.app(environ, start_response)
        deadline = time.monotonic() + self.seconds
        sock = environ.get("gunicorn.socket")
        key = _WATCHDOG.add(sock, deadline) if sock is not None else None

        def done() -> None:
            if key is not None:
                _WATCHDOG.cancel(key)

        environ["wsgi.input"] = _DeadlineInput(stream, deadline, self.seconds, done)
        try:
            return self.app(environ, start_response)
        finally:
            done()
