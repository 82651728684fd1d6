"""Chromium end to end: a surgeon opens a generated radiograph in the measuring tool, places the
14 landmarks by clicking where the guided steps ask, reads the live results, adjusts a point by
dragging it after zooming in, and saves. The page's numbers must equal the core's
`compute_measures` on the same points (one implementation, served by the JSON endpoint)."""

from __future__ import annotations

import math
import os
import re

import pytest

from fusiontrack.core.radiology import LANDMARK_STEPS, MEASURE_DEFINITIONS, compute_measures
from tests.imaging_factory import LANDMARKS_1000, make_dicom

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "lumbar-fusion-2026"  # test-only login
SPACING = (0.15, 0.14)
SIZE = 1000


def screen_point(page, x: float, y: float) -> tuple[float, float]:
    """Where original pixel (x, y) is on screen now (the overlay spans the whole film)."""
    box = page.locator("#overlay").bounding_box()
    return box["x"] + x * box["width"] / SIZE, box["y"] + y * box["height"] / SIZE


def page_values(page) -> dict[str, float | None]:
    cells = page.locator("#live tr[data-measure]")
    values = {}
    for i in range(cells.count()):
        row = cells.nth(i)
        raw = row.locator("td.value").get_attribute("data-value")
        values[row.get_attribute("data-measure")] = float(raw) if raw is not None else None
    return values


def wait_for_answer(page, points: int) -> None:
    page.wait_for_selector(f'#tool[data-computed-points="{points}"]')
    page.wait_for_load_state("networkidle")


def test_surgeon_places_landmarks_and_reads_the_core_measures(
    browser, live_server, personas, anna, settings, tmp_path
):
    from fusiontrack.imaging import services
    from fusiontrack.imaging.models import LandmarkSet

    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")
    personas.sofia.set_password(PASSWORD)
    personas.sofia.save()
    upload = services.Upload(
        [make_dicom(rows=SIZE, cols=SIZE, pixel_spacing=SPACING)], "preop", None, None
    )
    film = services.ingest(None, anna.episode, upload, role="surgeon", user=personas.sofia)

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "sofia")
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/worklist/")

        page.goto(f"{live_server.url}/imaging/radiographs/{film.pk}/")
        page.wait_for_selector('#tool[data-ready="1"]')
        page.wait_for_function("document.getElementById('film').complete")
        assert page.locator("noscript").count() == 1
        assert "Pixel Spacing (0028,0030)" in page.locator(".film-meta").inner_text()

        for step in LANDMARK_STEPS:
            assert page.locator("#instruction").inner_text() == step.instruction
            page.mouse.click(*screen_point(page, *LANDMARKS_1000[step.name]))
        assert page.locator("#overlay circle.lm").count() == 14
        assert "All landmarks placed" in page.locator("#instruction").inner_text()
        wait_for_answer(page, 14)
        clicked = page_values(page)

        # the points the page holds are the ones clicked, to within a screen pixel
        held = page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('#overlay circle.lm')]"
            ".map(c => [c.dataset.name, [Number(c.getAttribute('cx')),"
            " Number(c.getAttribute('cy'))]]))"
        )
        for name, (x, y) in LANDMARKS_1000.items():
            assert math.dist(held[name], (x, y)) < 1.6, name
        exact = compute_measures(held, SPACING)
        for definition in MEASURE_DEFINITIONS:
            assert clicked[definition.name] == pytest.approx(exact[definition.name].value), (
                definition.name
            )
        intended = compute_measures(LANDMARKS_1000, SPACING)
        assert clicked["pelvic_incidence"] == pytest.approx(
            intended["pelvic_incidence"].value, abs=1.0
        )
        assert page.locator("#facing").inner_text() == "patient faces left"
        assert "Meyerding grade L4–L5: I" in page.locator("#grades").inner_text()

        # pan by dragging the film, zoom in on L1 with the wheel, then drag its anterior
        # corner 20 px up: the value follows
        before_pan = page.locator("#overlay").bounding_box()
        page.mouse.move(700, 900)
        page.mouse.down()
        page.mouse.move(760, 860, steps=4)
        page.mouse.up()
        after_pan = page.locator("#overlay").bounding_box()
        assert after_pan["x"] == pytest.approx(before_pan["x"] + 60, abs=1)
        assert after_pan["y"] == pytest.approx(before_pan["y"] - 40, abs=1)
        assert page.locator("#overlay circle.lm").count() == 14  # panning placed nothing
        page.mouse.move(*screen_point(page, *held["L1_superior_anterior"]))
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(100)
        zoomed = page.locator("#overlay").bounding_box()
        assert zoomed["width"] > after_pan["width"] * 1.5
        start = screen_point(page, *held["L1_superior_anterior"])
        target = (held["L1_superior_anterior"][0], held["L1_superior_anterior"][1] - 20)
        page.mouse.move(*start)
        page.mouse.down()
        page.mouse.move(start[0], start[1] - 5, steps=2)
        page.mouse.move(*screen_point(page, *target), steps=5)
        page.mouse.up()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        page.wait_for_load_state("networkidle")
        dragged = page_values(page)
        assert dragged["lumbar_lordosis_l1_s1"] != pytest.approx(clicked["lumbar_lordosis_l1_s1"])

        page.locator("#contrast").fill("1.5")
        assert "contrast(1.5)" in page.locator("#film").get_attribute("style")

        page.locator("#save").click()
        page.wait_for_selector(".saved-meta")
        assert re.search(
            r"Version 1, measured by\s+Sofia Lind", page.locator(".saved-meta").inner_text()
        )
        saved = LandmarkSet.objects.get(radiograph=film)
        assert saved.measured_by == personas.sofia
        assert math.dist(saved.landmarks["L1_superior_anterior"], target) < 2.5
        recomputed = compute_measures(saved.landmarks, SPACING).as_dict()
        assert saved.measures["values"] == pytest.approx(recomputed)
        for name, value in dragged.items():
            assert value == pytest.approx(recomputed[name]), name
        # the reloaded tool starts from the saved points
        page.wait_for_selector('#tool[data-ready="1"]')
        assert page.locator("#overlay circle.lm").count() == 14
    finally:
        context.close()


def test_landmarks_can_be_placed_and_adjusted_from_the_keyboard(
    browser, live_server, personas, anna, settings, tmp_path
):
    """Steps are buttons in the tab order; on the film, arrow keys move it under a fixed
    crosshair and Enter places the current landmark there (no mouse at all)."""
    from fusiontrack.imaging import services

    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")
    personas.sofia.set_password(PASSWORD)
    personas.sofia.save()
    upload = services.Upload(
        [make_dicom(rows=SIZE, cols=SIZE, pixel_spacing=SPACING)], "preop", None, None
    )
    film = services.ingest(None, anna.episode, upload, role="surgeon", user=personas.sofia)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)

    def centre_in_image() -> tuple[float, float]:
        view = page.locator("#viewport").bounding_box()
        box = page.locator("#overlay").bounding_box()
        cx, cy = view["x"] + view["width"] / 2, view["y"] + view["height"] / 2
        return (cx - box["x"]) * SIZE / box["width"], (cy - box["y"]) * SIZE / box["height"]

    def held(name: str) -> tuple[float, float]:
        circle = page.locator(f'#overlay circle[data-name="{name}"]')
        return float(circle.get_attribute("cx")), float(circle.get_attribute("cy"))

    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "sofia")
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/worklist/")
        page.goto(f"{live_server.url}/imaging/radiographs/{film.pk}/")
        page.wait_for_selector('#tool[data-ready="1"]')

        first = page.locator("#steps button").first
        assert first.get_attribute("aria-current") == "step"
        assert "(not placed)" in first.get_attribute("aria-label")
        page.keyboard.press("Tab")  # the page starts with the banner, nav...: tab until a step
        for _ in range(40):
            if page.evaluate("document.activeElement.closest('#steps') !== null"):
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.name") == LANDMARK_STEPS[0].name
        page.keyboard.press("Enter")  # choose the step: focus goes to the film
        assert page.evaluate("document.activeElement.id") == "viewport"

        page.keyboard.press("ArrowDown")  # the film moves up: the crosshair lower on it
        expected = centre_in_image()
        page.keyboard.press("Enter")
        first_name = LANDMARK_STEPS[0].name
        assert math.dist(held(first_name), expected) < 0.5
        assert page.locator("#instruction").inner_text() == LANDMARK_STEPS[1].instruction
        assert "(placed)" in page.locator("#steps button").first.get_attribute("aria-label")

        # adjust it: pick the step again from the keyboard (the view centres on the point),
        # move the film by 3 screen pixels with Alt+arrow and place it again
        page.locator("#steps button").first.focus()
        page.keyboard.press("Enter")
        assert math.dist(centre_in_image(), held(first_name)) < 0.5
        for _ in range(3):
            page.keyboard.press("Alt+ArrowLeft")
        moved_to = centre_in_image()
        page.keyboard.press("Enter")
        assert math.dist(held(first_name), moved_to) < 0.5
        per_screen_pixel = SIZE / page.locator("#overlay").bounding_box()["width"]
        # ArrowLeft: the film moves right, so the crosshair sits 3 screen pixels further left
        assert moved_to[0] - expected[0] == pytest.approx(-3 * per_screen_pixel, abs=0.5)
        assert page.locator("#overlay circle.lm").count() == 1
    finally:
        context.close()
