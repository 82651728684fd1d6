"""Imaging: decoding and previewing a 3000 × 3000 radiograph, the measuring tool's JSON endpoint
round trip, and pan/zoom frame times in Chromium (issue 8 §5).

Run: `python -m benchmarks.imaging_bench` (or `python -m benchmarks imaging` once registered).
Each figure is printed next to a floor measured in the same run: pydicom's pixel read for the
decode, the Lanczos resize alone for the preview, the core's `compute_measures` for the endpoint
(timed through Django's test client on a throwaway SQLite database: middleware, session, access
check, JSON in and out, no network), and the display's refresh interval for pan/zoom (headless
Chromium, software compositing, driven by real mouse and wheel input on the served page).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _film_pixels(size: int):
    """A smooth synthetic 'film' (so PNG sizes are realistic): gradients, blocks, mild noise."""
    import numpy as np

    rng = np.random.default_rng(8)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    image = 900 + 1800 * x * (1 - y) + 600 * np.sin(6 * y)
    for i in range(6):
        top = int(size * (0.1 + 0.13 * i))
        image[top : top + size // 11, size // 3 : size // 2] += 900
    image += rng.normal(0, 25, image.shape)
    return image.clip(0, 4095).astype(np.uint16)


def _row(label: str, value: float, floor: float | None = None, unit: str = "s") -> None:
    ratio = f"{value / floor:>10.1f}" if floor else ""
    scale = 1e3 if unit == "ms" else 1.0
    print(f"{label:<50}{value * scale:>10.3f}{ratio}")


def bench_preview(tmp: Path) -> None:
    from PIL import Image
    from pydicom import dcmread
    from pydicom.pixels import pixel_array

    from fusiontrack.imaging.decode import decode_file
    from fusiontrack.imaging.preview import render_preview
    from tests.imaging_factory import make_dicom

    pixels = _film_pixels(3000)
    film = tmp / "film.dcm"
    film.write_bytes(make_dicom(rows=3000, cols=3000, pixels=pixels, window=(2000, 3000)))
    mono1 = tmp / "mono1.dcm"
    mono1.write_bytes(make_dicom(rows=3000, cols=3000, pixels=pixels, photometric="MONOCHROME1"))

    t_read = _best(lambda: pixel_array(dcmread(film)), 3)
    t_decode = _best(lambda: decode_file(film, max_pixels=10**8), 3)
    t_auto = _best(lambda: decode_file(mono1, max_pixels=10**8), 3)
    image = decode_file(film, max_pixels=10**8).pixels
    t_resize = _best(
        lambda: Image.fromarray(image).resize(
            (2048, 2048), Image.Resampling.LANCZOS, reducing_gap=2.0
        ),
        3,
    )
    t_preview = _best(lambda: render_preview(image, 2048), 3)
    data, w, h = render_preview(image, 2048)
    print(f"{'3000 × 3000 DICOM, 12 bit, uncompressed':<50}{'best s':>10}{'× floor':>10}")
    _row("decode + file window → 8 bit", t_decode, t_read)
    _row("decode + auto window + MONOCHROME1 inversion", t_auto, t_read)
    _row("  floor: pydicom read of the pixels", t_read)
    _row(f"preview {w} × {h} PNG (resize + encode)", t_preview, t_resize)
    _row("  floor: the Lanczos resize alone", t_resize)
    print(f"preview size on the wire: {len(data) / 1e6:.2f} MB")


def _django(tmp: Path):
    os.environ["FUSIONTRACK_DATA_DIR"] = str(tmp / "data")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("FUSIONTRACK_ENV", "test")
    os.environ["DJANGO_SETTINGS_MODULE"] = "fusiontrack.settings"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from fusiontrack.imaging import services
    from fusiontrack.registry.models import Site
    from fusiontrack.registry.services import create_staff_user
    from tests.conftest import build_patient
    from tests.imaging_factory import make_dicom

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    call_command("migrate", verbosity=0)
    site = Site.objects.create(code="north", name="North")
    sofia = create_staff_user("sofia", password=None, memberships=[(site, "surgeon")])
    anna = build_patient(site, sofia, mrn="B-1", today=timezone.localdate())
    dicom = make_dicom(rows=3000, cols=3000, pixels=_film_pixels(3000), window=(2000, 3000))
    start = time.perf_counter()
    film = services.ingest(
        None,
        anna.episode,
        services.Upload([dicom], "preop", None, None),
        role="surgeon",
        user=sofia,
    )
    _row("\nwhole upload (store, decode, preview, row, audit)", time.perf_counter() - start)
    return sofia, film


def bench_endpoint(sofia, film) -> None:
    from django.test import Client
    from django.urls import reverse

    from fusiontrack.core.radiology import compute_measures
    from tests.imaging_factory import LANDMARKS_1000

    client = Client()
    client.force_login(sofia)
    url = reverse("imaging:compute", args=[film.pk])
    body = json.dumps({"landmarks": LANDMARKS_1000})

    def call() -> None:
        assert client.post(url, body, content_type="application/json").status_code == 200

    for _ in range(20):
        call()
    samples = []
    for _ in range(300):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    n = 5000
    start = time.perf_counter()
    for _ in range(n):
        compute_measures(LANDMARKS_1000, (0.15, 0.14))
    t_core = (time.perf_counter() - start) / n
    median = statistics.median(samples)
    print(f"\n{'compute endpoint, 14 landmarks':<50}{'ms':>10}{'× floor':>10}")
    _row("round trip (test client), median", median, t_core, "ms")
    _row("round trip (test client), 95th percentile", sorted(samples)[284], t_core, "ms")
    _row("  floor: compute_measures alone", t_core, None, "ms")


def bench_browser(sofia, film) -> None:
    import shutil

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test import Client
    from django.test.testcases import LiveServerThread

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("\nbrowser: skipped (Playwright not installed)")
        return
    if not os.path.exists(chromium):
        print("\nbrowser: skipped (Chromium not installed)")
        return
    server = LiveServerThread("localhost", StaticFilesHandler, connections_override={}, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    client = Client()
    client.force_login(sofia)
    base = f"http://localhost:{server.port}"
    # Frame intervals recorded in the page until window.__stop is set (not awaited from here).
    start_recorder = """() => {
        window.__frames = []; window.__stop = false; let last = performance.now();
        function tick(now) { window.__frames.push(now - last); last = now;
            if (!window.__stop) requestAnimationFrame(tick); }
        requestAnimationFrame(tick); }"""
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_cookies(
                [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
            )
            page = context.new_page()
            start = time.perf_counter()
            page.goto(f"{base}/imaging/radiographs/{film.pk}/")
            page.wait_for_selector('#tool[data-ready="1"]')
            page.wait_for_function("document.getElementById('film').complete")
            t_open = time.perf_counter() - start
            page.evaluate(start_recorder)
            page.wait_for_timeout(1500)
            page.evaluate("() => { window.__stop = true; }")
            idle = page.evaluate("() => window.__frames")
            page.evaluate(start_recorder)
            start = time.perf_counter()
            for i in range(60):  # zoom in and out with the wheel, then pan by dragging
                page.mouse.move(700, 500)
                page.mouse.wheel(0, -120 if i < 30 else 120)
            page.mouse.move(600, 400)
            page.mouse.down()
            for i in range(120):
                page.mouse.move(600 + 3 * i, 400 + 2 * i)
            page.mouse.up()
            t_input = time.perf_counter() - start
            page.evaluate("() => { window.__stop = true; }")
            busy = page.evaluate("() => window.__frames")
            browser.close()
    finally:
        server.terminate()
    idle_ms, busy_ms = statistics.median(idle[1:]), statistics.median(busy[1:])
    p95 = sorted(busy[1:])[int(0.95 * (len(busy) - 1))]
    print(f"\n{'Chromium, 3000 × 3000 film (2048 px preview)':<50}{'ms':>10}{'× floor':>10}")
    _row("open the tool until the preview is shown", t_open, None, "ms")
    _row("frame interval while zooming/panning, median", busy_ms / 1e3, idle_ms / 1e3, "ms")
    _row("frame interval while zooming/panning, 95th pct", p95 / 1e3, idle_ms / 1e3, "ms")
    _row("  floor: frame interval at rest", idle_ms / 1e3, None, "ms")
    slow = sum(1 for f in busy[1:] if f > 25.0)
    print(
        f"{len(busy)} frames recorded around {t_input:.1f} s of input (60 wheel steps, "
        f"120 drag moves); {slow} frame(s) longer than 25 ms"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        bench_preview(tmp)
        sofia, film = _django(tmp)
        bench_endpoint(sofia, film)
        bench_browser(sofia, film)


if __name__ == "__main__":
    main()
