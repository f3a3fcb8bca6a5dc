"""A class at once: N students (Playwright pages in Debian chromium) take the Class quiz
against one ``streamlit run``; page-update latency and server CPU/RSS per N.

Students join 0.5 s apart (opening the page is not timed). Each opens /quiz, enters the
session code and a name, then for each film answers,
submits (timed: click → the "Truth" banner) and goes to the next film (timed: click → the next
film's progress text). Times are taken in the page (click event → the DOM change that shows the
text), not by Playwright's polling. ``python -m bench.classroom [--students 1,5,10,20] [--films 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import p, table
from bench.server import free_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def _proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) of a process from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    return cpu, rss


def _browser_cpu() -> float:
    """CPU seconds used so far by every chromium process on the machine (the class's browsers;
    processes that exited in between are not counted, so this is a lower bound)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if b"chromium" in (d / "cmdline").read_bytes():
                    total += _proc_stats(int(d.name))[0]
            except OSError:
                continue
    return total


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def _serve(env) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=5):
                return proc, url
        except OSError:
            time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise TimeoutError("streamlit did not start")


# Timed in the page itself: from the click event to the first DOM change that shows ``text``
# (a MutationObserver), so Playwright's own polling (up to 0.5 s between looks) is not counted.
_ARM = """text => {
  window.__lat = new Promise(done => {
    document.addEventListener('click', () => {
      const t0 = performance.now();
      const seen = () => document.body.textContent.includes(text);
      const mo = new MutationObserver(() => {
        if (seen()) { mo.disconnect(); done((performance.now() - t0) / 1000); }
      });
      mo.observe(document.body, {subtree: true, childList: true, characterData: true});
    }, {capture: true, once: true});
  });
}"""


async def _timed_click(page, button, text: str) -> float:
    """Seconds from clicking ``button`` to ``text`` appearing, measured in the page."""
    await page.evaluate(_ARM, text)
    await button.click()
    return float(await page.evaluate("window.__lat"))


async def _student(browser, url: str, code: str, name: str, films: int, out: list[float],
                   delay: float = 0.0):
    await asyncio.sleep(delay)  # a class arrives over a few seconds, not in one instant
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(180_000)
    await page.goto(f"{url}/quiz", wait_until="networkidle")
    await page.get_by_role("textbox", name="Session code").fill(code)
    await page.get_by_role("textbox", name="Session code").press("Enter")
    box = page.get_by_role("textbox", name="Your name (as the teacher should see it)")
    await box.wait_for(timeout=180_000)
    await box.fill(name)
    await box.press("Enter")
    for i in range(films):
        await page.get_by_text(f"Film {i + 1} of", exact=False).first.wait_for(timeout=180_000)
        await page.locator("label").filter(has_text=re.compile(r"^RA$")).first.click()
        submit = page.get_by_role("button", name="Submit (locks your answer)")
        await submit.wait_for(timeout=180_000)
        out.append(await _timed_click(page, submit, "Truth:"))
        if i + 1 < films:
            out.append(await _timed_click(page, page.get_by_role("button", name="Next film"),
                                          f"Film {i + 2} of"))
    return page  # closed by _class after the browsers' CPU is read


async def _class(url: str, n: int, films: int, code: str) -> tuple[list[float], float]:
    from playwright.async_api import async_playwright

    lat: list[float] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=["--no-sandbox", "--disable-gpu"])
        c0 = _browser_cpu()
        await asyncio.gather(*[_student(browser, url, code, f"s{i}", films, lat, 0.5 * i)
                               for i in range(n)])
        used = _browser_cpu() - c0  # before any page closes: a closed page's CPU is lost
        await browser.close()
    return lat, used


def main(students=(1, 5, 10, 20), films: int = 3) -> str:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
           "RA_QUIZ_DIR": tempfile.mkdtemp(prefix="ra-quiz-bench-")}
    proc, url = _serve(env)
    rows = []
    try:
        asyncio.run(_class(url, 1, 1, "warm-up"))  # models loaded, first film drawn
        for n in students:
            cpu0, _ = _proc_stats(proc.pid)
            busy0 = _machine_busy()
            t0 = time.perf_counter()
            lat, browsers = asyncio.run(_class(url, n, films, f"class-of-{n}"))
            wall = time.perf_counter() - t0
            cpu1, rss = _proc_stats(proc.pid)
            busy = (_machine_busy() - busy0) / wall / (os.cpu_count() or 1)
            rows.append([n, len(lat), f"{p(lat, 0.5):.2f} s", f"{p(lat, 0.95):.2f} s",
                         f"{(cpu1 - cpu0) / wall:.0%} of one core",
                         f"{browsers / wall:.0%} of one core", f"{busy:.0%}", f"{rss / 2**20:.0f} MB",
                         "p95 ≤ 2 s" if n == 20 else ""])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return table("Class quiz under load (one streamlit run)", [
        "students", "page updates", "p50", "p95", "server CPU", "browsers' CPU", "machine busy",
        "server RSS", "goal"], rows,
        note=f"{films} films each: submit → truth shown, next → next film shown; Playwright "
             "pages in one headless Debian chromium on the same machine (which shares its 2 cores).")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", default="1,5,10,20")
    ap.add_argument("--films", type=int, default=3)
    a = ap.parse_args()
    main(tuple(int(x) for x in a.students.split(",")), a.films)
