"""Loopback load test of the production Flask server (gunicorn, 2 workers).

2,000 POST /api/v1/xray requests from 8 concurrent clients to 127.0.0.1 only; reports
throughput, p50/p99 latency, errors and worker RSS before/after. Bounded and self-stopping.
"""

from __future__ import annotations

import argparse
import http.client
import threading
import time
from pathlib import Path

from bench.common import median, p, table
from bench.server import Server, children, multipart

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(n: int = 2000, clients: int = 8, workers: int = 2) -> str:
    with Server(env={"GUNICORN_TIMEOUT": "120"}, workers=workers) as srv:
        port, proc = srv.port, srv.proc
        body, ctype = multipart((ROOT / "assets/samples/ra-established.png").read_bytes())
        # Warm every worker (model load, first traces, allocator pools) with concurrent
        # traffic so both workers get requests, then measure.
        def warm(k: int = 50) -> None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(k):
                c.request("POST", "/api/v1/xray", body, {"Content-Type": ctype})
                c.getresponse().read()

        warmers = [threading.Thread(target=warm) for _ in range(2 * workers)]
        for th in warmers:
            th.start()
        for th in warmers:
            th.join()
        pids = sorted(children(proc.pid))
        rss_before = {q: rss_mb(q) for q in pids}
        lat: list[float] = []
        errors = [0]
        lock = threading.Lock()
        per_client = n // clients

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(per_client):
                t = time.perf_counter()
                try:
                    conn.request("POST", "/api/v1/xray", body, {"Content-Type": ctype})
                    r = conn.getresponse()
                    r.read()
                    ok = r.status == 200
                except OSError:
                    ok = False
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                dt = (time.perf_counter() - t) * 1000
                with lock:
                    lat.append(dt)
                    errors[0] += not ok

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        rss_after = {q: rss_mb(q) for q in pids}
    growth = max((rss_after[q] - rss_before[q]) / rss_before[q] for q in pids)
    total = per_client * clients
    return table("Flask under load (gunicorn, loopback)", ["measure", "result", "goal"], [
        ["requests (POST /api/v1/xray, 256² PNG)", f"{total} from {clients} clients", ""],
        ["throughput", f"{total / wall:.1f} req/s", "≥ 30 req/s"],
        ["latency p50 / p99", f"{median(lat):.0f} / {p(lat, 0.99):.0f} ms", "p99 ≤ 500 ms"],
        ["errors", str(errors[0]), "0"],
        ["worker RSS before → after",
         ", ".join(f"{rss_before[q]:.0f} → {rss_after[q]:.0f} MB" for q in pids), ""],
        ["max RSS growth", f"{growth:+.1%}", "< 5%"],
    ], note=f"{workers} gthread workers (gunicorn.conf.py).")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=8)
    a = ap.parse_args()
    main(a.n, a.clients)
