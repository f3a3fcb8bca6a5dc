"""Real-browser tests: Playwright driving Debian's chromium against the running apps.

Screenshots go to test-output/; ``UPDATE_DOCS_SCREENSHOTS=1`` also copies them into docs/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench.server import free_port

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def images_loaded(page, minimum: int = 0, timeout: float = 90_000) -> None:
    page.wait_for_function(
        """(n) => { const imgs = [...document.querySelectorAll('img')];
                    return imgs.length >= n && imgs.every(i => i.complete && i.naturalWidth > 0); }""",
        arg=minimum, timeout=timeout)


def save_shot(page, name: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
        shutil.copy(path, ROOT / "docs" / name)
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _serve(cmd, env, url):
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_http(url)
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGTERM)
        raise
    return proc


@pytest.fixture(scope="module")
def model_env(tiny_xray_dir, tiny_clinical_dir, tmp_path_factory):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
           "RA_QUIZ_DIR": str(tmp_path_factory.mktemp("quiz"))}  # a fresh class every run
    if not (ROOT / "assets/models/xray/model.keras").exists():
        env["RA_XRAY_MODEL_DIR"] = str(tiny_xray_dir)
    if not (ROOT / "assets/models/clinical/model.keras").exists():
        env["RA_CLINICAL_MODEL_DIR"] = str(tiny_clinical_dir)
    return env


@pytest.fixture(scope="module")
def streamlit_url(model_env):
    port = free_port()
    proc = _serve([sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                   "--server.headless", "true", "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                  model_env, f"http://127.0.0.1:{port}/_stcore/health")
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def flask_url(model_env):
    port = free_port()
    env = {**model_env, "RA_SECRET_KEY": "browser-test"}
    proc = _serve([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", "2", "--bind",
                   f"127.0.0.1:{port}", "flask_app:create_app()"], env,
                  f"http://127.0.0.1:{port}/healthz")
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def _external_requests(page, base: str) -> list[str]:
    """Collect every request the page makes to anything but the app itself (must stay empty:
    the app runs offline, fonts and icons included)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url)
            if not r.url.startswith((base, "data:", "blob:", "about:")) else None)
    return seen


def test_streamlit_upload_shows_probability_and_heatmap(browser, streamlit_url, tmp_path):
    # the first screen at 1440×900 must hold the verdict, the film and its heatmap
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    external = _external_requests(page, streamlit_url)
    page.goto(streamlit_url, wait_until="networkidle")
    page.get_by_text("What it does", exact=False).first.wait_for(timeout=60_000)
    save_shot(page, "streamlit-home.png")
    page.goto(f"{streamlit_url}/xray", wait_until="networkidle")
    page.locator('input[type="file"]').first.set_input_files(str(ROOT / "assets/samples/ra-established.png"))
    page.get_by_text("Calibrated P(RA)").first.wait_for(timeout=90_000)
    page.locator("[data-testid='stImage'] img").nth(1).wait_for(timeout=90_000)
    images_loaded(page, 2)
    banner = page.get_by_text("P(RA)", exact=False).first.bounding_box()
    film, heat = (page.locator("[data-testid='stImage'] img").nth(i).bounding_box() for i in (0, 1))
    assert banner["y"] < 900 and film["y"] < 900 and heat["y"] < 900, (banner, film, heat)
    assert heat["y"] + 0.5 * heat["height"] < 900  # most of the heatmap, not just its top edge
    # below the heatmap: the joint-level scorer's hand diagram and table
    page.get_by_text("Joint-level damage", exact=False).first.wait_for(timeout=90_000)
    page.locator("[data-testid='stImage'] img").nth(2).wait_for(timeout=90_000)
    page.set_viewport_size({"width": 1400, "height": 2300})
    images_loaded(page, 3)
    page.get_by_text("Trained on phantoms only", exact=False).first.wait_for(timeout=90_000)
    page.wait_for_timeout(1000)
    save_shot(page, "streamlit-xray.png")
    # an image the model cannot judge: no verdict, "not assessable" with the reason
    from PIL import Image
    from skimage import data as skdata

    photo = tmp_path / "photo.png"
    Image.fromarray(skdata.astronaut()).save(photo)
    page.locator('input[type="file"]').first.set_input_files(str(photo))
    page.get_by_text("Not assessable", exact=False).first.wait_for(timeout=90_000)
    assert page.get_by_text("RA pattern", exact=False).count() == 0
    # the clinical page: no answer before input; type values as a user does
    page.goto(f"{streamlit_url}/clinical", wait_until="networkidle")
    page.get_by_text("Enter sex, age", exact=False).first.wait_for(timeout=90_000)
    page.locator("[data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="Female").click()
    for label, value in (("Age (years)", "54"), ("RF (IU/mL)", "65"), ("CRP (mg/L)", "14"),
                         ("Anti-CCP (U/mL)", "120")):
        box = page.get_by_role("textbox", name=label)
        box.fill(value)
        box.press("Enter")
        page.wait_for_timeout(300)
    page.get_by_text("2010 ACR/EULAR criteria", exact=True).first.wait_for(timeout=90_000)
    page.locator("[data-testid='stImage'] img").first.wait_for(timeout=90_000)
    images_loaded(page, 1)
    page.mouse.move(5, 5)  # no tooltip over the form in the screenshot
    page.wait_for_timeout(1000)
    save_shot(page, "streamlit-clinical.png")
    for path, name, marker, n_img in (
            ("teaching", "streamlit-teaching.png", "Grad-CAM peak", 3),
            ("model_cards", "streamlit-model-cards.png", "Faithfulness", 4),
            ("batch", "streamlit-batch.png", "Batch predictions", 0)):
        page.goto(f"{streamlit_url}/{path}", wait_until="networkidle")
        page.get_by_text(marker, exact=False).first.wait_for(timeout=90_000)
        if n_img:
            page.locator("[data-testid='stImage'] img").nth(n_img - 1).wait_for(timeout=90_000)
        images_loaded(page, n_img)
        page.wait_for_timeout(1000)
        save_shot(page, name)
    # the class quiz: a hidden film, an answer, then the truth by sign type and by joint
    page.set_viewport_size({"width": 1400, "height": 2000})
    page.goto(f"{streamlit_url}/quiz", wait_until="networkidle")
    page.get_by_role("textbox", name="Session code").fill("DEMO-1")
    page.get_by_role("textbox", name="Session code").press("Enter")
    box = page.get_by_role("textbox", name="Your name (as the teacher should see it)")
    box.wait_for(timeout=90_000)
    box.fill("reader")
    box.press("Enter")
    page.get_by_text("Film 1 of", exact=False).first.wait_for(timeout=90_000)
    page.locator("label").filter(has_text=re.compile(r"^RA$")).first.click()
    page.get_by_role("button", name="Submit (locks your answer)").click()
    page.get_by_text("Truth:", exact=False).first.wait_for(timeout=90_000)
    page.get_by_text("Joints: the truth", exact=False).first.wait_for(timeout=90_000)
    page.get_by_text("a shaded cell differs", exact=False).first.wait_for(timeout=90_000)
    # the run is over: the Submit button of the unanswered film is gone
    page.get_by_role("button", name="Submit (locks your answer)").wait_for(state="detached",
                                                                           timeout=90_000)
    images_loaded(page, 3)
    page.wait_for_timeout(2000)
    save_shot(page, "streamlit-quiz.png")
    page.close()
    assert not external, f"the app fetched from outside: {sorted(set(external))[:5]}"


def test_flask_upload_flow(browser, flask_url):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(flask_url)
    save_shot(page, "flask-home.png")
    page.click("text=X-ray image prediction >> nth=1")
    page.set_input_files("#file", str(ROOT / "assets/samples/ra-established.png"))
    save_shot(page, "flask-upload.png")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Predicted class")
    assert "Confidence (calibrated P(RA))" in page.content()
    assert page.locator("figure img").count() == 1
    save_shot(page, "flask-result.png")
    page.goto(f"{flask_url}/labs")
    page.fill("#Age", "54")
    page.select_option("#Gender", "Female")
    page.fill("#CRP", "9999")
    page.click("button[type=submit]")
    page.wait_for_selector("#CRP-err")
    save_shot(page, "flask-labs-error.png")
    # a bad value, then a good one: the result uses the new value
    page.fill("#CRP", "14")
    page.fill("#RF", "65")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Predicted class")
    assert "CRP 14 mg/L" in page.content()
    favicon = page.request.get(f"{flask_url}/favicon.ico")
    assert favicon.status == 200
    page.close()


def test_deep_link_on_a_cold_server_shows_the_app_frame(browser, model_env):
    """Fresh `streamlit run`, first request /xray: the sidebar shows the page titles and the
    synthetic-data banner, as it does when Home was opened first (issue 10)."""
    port = free_port()
    proc = _serve([sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                   "--server.headless", "true", "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                  model_env, f"http://127.0.0.1:{port}/_stcore/health")
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/xray", wait_until="networkidle")
        page.get_by_text("Demo models trained on synthetic data", exact=False).first.wait_for(
            timeout=60_000)
        nav = page.locator("[data-testid='stSidebarNav']").inner_text(timeout=30_000)
        assert "Clinical labs" in nav and "Model cards & performance" in nav
        assert "model_cards" not in nav and "xray" not in nav.lower().replace("x-ray", "")
        save_shot(page, "streamlit-deep-link.png")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_classroom_benchmark_times_a_student_in_the_page(tmp_path):
    """bench.classroom end to end at one student: its own streamlit run, the quiz taken in
    chromium, every page update timed in the page (a MutationObserver) and reported."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RA_QUIZ_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "bench.classroom", "--students", "1", "--films", "2"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    row = next(line for line in out.stdout.splitlines() if line.startswith("| 1 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "3"  # submit, next, submit
    p50, p95 = (float(c.removesuffix(" s")) for c in cells[2:4])
    assert 0 < p50 <= p95 < 60
