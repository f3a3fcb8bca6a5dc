"""Hostile clients against the production server: fuzzed uploads, fuzzed lab JSON, slow clients.

Starts gunicorn with the committed ``gunicorn.conf.py`` on a free loopback port (the shipped
models), then:

* POSTs image mutants (from :mod:`bench.fuzz_intake`) to ``/api/v1/xray``;
* POSTs fuzzed lab payloads (:func:`lab_payloads`) to ``/api/v1/clinical``;
* opens 10 clients that send a request body at 1 byte/s and, meanwhile, times normal lab
  requests; checks the slow clients get a 408 JSON answer and that no worker was replaced.

Only 127.0.0.1 is ever contacted; every loop is bounded in count and time.

    python -m bench.fuzz_http            # the table (≈ 1–2 min)
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter

import numpy as np

from bench.server import Server, children, multipart


# --------------------------------------------------------------------------- lab payloads
def lab_payloads(n: int, seed: int = 0) -> list[bytes]:
    """``n`` JSON bodies (bytes), valid and hostile, the same for the same (n, seed)."""
    rng = np.random.default_rng(seed)
    fields = ["Age", "Gender", "ESR", "CRP", "RF", "Anti-CCP"]
    weird = [
        None, True, False, 0, -1, 54, 54.5, 1e308, -1e308, 10**310, -(10**400), "54", " 54 ",
        "5_4", "٥٤", "５４", "54.0e1", "1e999", "nan", "NaN", "Infinity", "-inf", "0x1A", "",
        "   ", "abc", "54;DROP", "<script>", "\u0000", "\ud83d\ude00", "x" * 10_000, [], [54],
        {}, {"v": 54}, "Female", "F", "male", "yes", 3.0e-320,
    ]
    out: list[bytes] = []
    for i in range(n):
        kind = i % 10
        if kind == 0:  # a valid patient
            d = {"Age": int(rng.integers(18, 90)), "Gender": ["Female", "Male"][int(rng.integers(2))],
                 "ESR": float(rng.integers(0, 120)), "CRP": float(rng.random() * 80),
                 "RF": float(rng.random() * 300), "Anti-CCP": float(rng.random() * 300)}
            out.append(json.dumps(d).encode())
        elif kind == 1:  # deep nesting
            depth = int(rng.choice([50, 500, 1000, 5000]))
            out.append(b'{"Age":' + b"[" * depth + b"1" + b"]" * depth + b"}")
        elif kind == 2:  # not an object / not JSON
            out.append([b"[]", b"null", b"54", b'"text"', b"{", b"\xff\xfe", b"", b"{'Age': 1}",
                        b'{"Age": 54,}', b"NaN"][int(rng.integers(10))])
        elif kind == 3:  # one huge field value
            size = int(rng.choice([10_000, 1_000_000, 10_000_000]))
            out.append(json.dumps({"Age": "9" * size if rng.random() < 0.5 else "a" * size,
                                   "Gender": "Female", "CRP": 5}).encode())
        elif kind == 4:  # a huge integer literal
            digits = int(rng.choice([20, 310, 400, 4000]))
            out.append(b'{"Age": 50, "Gender": "Male", "RF": ' + b"9" * digits + b"}")
        else:  # random mix of weird values and keys
            d = {}
            for f in fields:
                if rng.random() < 0.8:
                    d[f] = weird[int(rng.integers(len(weird)))] if rng.random() < 0.6 else \
                        (54 if f == "Age" else "Female" if f == "Gender" else float(rng.random() * 50))
            if rng.random() < 0.2:
                d["unknown_" + str(int(rng.integers(100)))] = 1
            if rng.random() < 0.1:
                d["age"] = "12"  # an alias colliding with "Age"
            out.append(json.dumps(d, allow_nan=True).encode())
    return out


def _classify(status: int) -> str:
    return f"{status // 100}xx" if 200 <= status < 600 else "other"


def _drain(s: socket.socket, seconds: float = 2.0) -> bytes:
    """The rest of an answer whose first bytes arrived (until close or a quiet ``seconds``)."""
    out = b""
    s.settimeout(seconds)
    try:
        while chunk := s.recv(65536):
            out += chunk
            if out.endswith(b"0\r\n\r\n") or b"}" in out:
                break
    except OSError:
        pass
    return out


def slow_clients(server: Server, n_slow: int = 10, normal: int = 10,
                 max_seconds: float = 60) -> dict:
    """``n_slow`` clients trickle a body at 1 byte/s while normal lab requests are timed."""
    answers: list[tuple[int, bytes]] = []
    stop = threading.Event()

    def trickle():
        s = socket.create_connection(("127.0.0.1", server.port), timeout=max_seconds)
        try:
            s.sendall(b"POST /api/v1/clinical HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      b"\r\nContent-Length: 1000\r\n\r\n")
            t0 = time.monotonic()
            while not stop.is_set() and time.monotonic() - t0 < max_seconds:
                try:
                    s.sendall(b" ")
                except OSError:
                    break
                s.settimeout(1.0)
                try:
                    data = s.recv(65536)
                    if data:
                        data += _drain(s)
                        answers.append((int(data.split()[1]), data))
                        return
                except TimeoutError:
                    continue
                except OSError:
                    break
        finally:
            s.close()

    threads = [threading.Thread(target=trickle, daemon=True) for _ in range(n_slow)]
    for t in threads:
        t.start()
    time.sleep(2.0)  # let them all be mid-body
    body = json.dumps({"Age": 54, "Gender": "Female", "ESR": 38, "CRP": 14, "RF": 65,
                       "Anti-CCP": 120}).encode()
    lat, codes = [], Counter()
    for _ in range(normal):
        t = time.perf_counter()
        st, _, _ = server.request("POST", "/api/v1/clinical", body,
                                  {"Content-Type": "application/json"}, timeout=max_seconds)
        lat.append((time.perf_counter() - t) * 1000)
        codes[st] += 1
        time.sleep(0.2)
    for t in threads:
        t.join(timeout=max_seconds)
    stop.set()
    slow_json = sum(1 for st, data in answers if st == 408 and b'"request_timeout"' in data)
    return {"normal_ms": lat, "normal_codes": dict(codes), "slow_answers": [st for st, _ in answers],
            "slow_408_json": slow_json,
            "workers_replaced": len(server.pids - children(server.proc.pid))}


def run_http(image_cases, n_labs: int = 2000, seed: int = 0, *, slow: bool = True) -> dict:
    out = {}
    with Server() as srv:
        counts: Counter = Counter()
        for _, _, data in image_cases:
            body, ctype = multipart(data)
            st, _, _ = srv.request("POST", "/api/v1/xray", body, {"Content-Type": ctype})
            counts[_classify(st)] += 1
        out["images"] = {"n": len(image_cases), **{k: counts.get(k, 0) for k in ("2xx", "4xx", "5xx", "other")}}
        counts = Counter()
        for body in lab_payloads(n_labs, seed):
            st, _, _ = srv.request("POST", "/api/v1/clinical", body, {"Content-Type": "application/json"})
            counts[_classify(st)] += 1
        out["labs"] = {"n": n_labs, **{k: counts.get(k, 0) for k in ("2xx", "4xx", "5xx", "other")}}
        if slow:
            out["slow_clients"] = slow_clients(srv)
    return out


def main() -> dict:
    import warnings

    from bench.common import median, p, table
    from bench.fuzz_intake import mutants

    warnings.simplefilter("ignore")
    cases = mutants(5000, 0)[::5]
    res = run_http(cases, n_labs=2000, seed=0)
    table("Hostile clients against gunicorn (committed gunicorn.conf.py, shipped models)",
          ["probe", "requests", "2xx", "4xx", "5xx"],
          [["image mutants → /api/v1/xray", *(res["images"][k] for k in ("n", "2xx", "4xx", "5xx"))],
           ["fuzzed lab JSON → /api/v1/clinical", *(res["labs"][k] for k in ("n", "2xx", "4xx", "5xx"))]])
    s = res["slow_clients"]
    table("10 clients sending 1 byte/s, meanwhile 10 normal lab requests",
          ["measure", "result", "goal"],
          [["normal request p50 / max", f"{median(s['normal_ms']):.0f} / {max(s['normal_ms']):.0f} ms",
            "≤ 1000 ms"],
           ["normal request status codes", s["normal_codes"], "all 200"],
           ["slow clients answered 408 JSON", f"{s['slow_408_json']} / 10", "10 / 10"],
           ["workers replaced (killed by timeout)", s["workers_replaced"], "0"],
           ["normal request p95", f"{p(s['normal_ms'], 0.95):.0f} ms", ""]])
    return res


if __name__ == "__main__":
    main()
