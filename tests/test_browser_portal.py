"""Chromium at 360×740 with JavaScript off: a patient opens the invitation link, answers ODI, NRS
and EQ-5D-5L, leaves midway, resumes with the same link, double-taps "Send", and reads the
before/after page (issue 4 §7)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from tests.portal_support import EQ5D_ITEMS, invite

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 360, 740
DOB = dt.date(1961, 4, 12)  # Anna Berg (tests/conftest.py)


def confirm_identity(page) -> None:
    page.fill("#id_day", str(DOB.day))
    page.fill("#id_month", str(DOB.month))
    page.fill("#id_year", str(DOB.year))
    page.get_by_role("button", name="Continue").click()


def shot(page, name: str) -> None:
    """Screenshots for a human check, only when PORTAL_SCREENSHOTS names a directory."""
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def assert_fits_the_phone(page) -> None:
    """Nothing wider than the viewport; every answer is a large tap target."""
    for selector in ("main", "fieldset.question", "label.option", "label.scale-option"):
        for box in (
            page.locator(selector).nth(i).bounding_box()
            for i in range(page.locator(selector).count())
        ):
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 0.5, (selector, box)
            if selector.startswith("label"):
                assert box["height"] >= 44, (selector, box)
    # "Leave" stays one word on one line (body's overflow-wrap once split it into "Lea/ve").
    leave = page.locator("header.bar button.link")
    if leave.count():
        box = leave.bounding_box()
        assert box is not None and box["height"] <= 48, ("Leave", box)


def test_patient_answers_leaves_resumes_submits_twice_and_sees_before_after(
    browser, live_server, anna
):
    from fusiontrack.registry.models import QuestionnaireResponse

    _, token = invite(anna.episode, "24m")
    link = f"{live_server.url}/p/{token}"
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    review_posts: list[str] = []
    page.on(
        "request",
        lambda r: (
            review_posts.append(r.url)
            if r.method == "POST" and r.url.endswith("/p/review/")
            else None
        ),
    )
    try:
        page.goto(link)
        assert page.url == f"{live_server.url}/p/verify/"  # the token left the address bar
        confirm_identity(page)
        assert page.locator("h1").inner_text() == "Hello Anna"
        page.get_by_role("link", name="Start").click()

        # ODI: ten sections, one answer each (statement 1 → ODI 20).
        page.wait_for_url("**/p/q/odi/")
        assert "Questionnaire 1 of 3" in page.inner_text(".progress-text")
        assert "Mapi Research Trust" in page.inner_text("aside.licence")
        shot(page, "odi")
        assert_fits_the_phone(page)
        for section in range(1, 11):
            page.get_by_label("statement 1", exact=True).nth(section - 1).check()
        page.get_by_role("button", name="Save and continue").click()

        # NRS: answer back pain, then leave midway.
        page.wait_for_url("**/p/q/nrs/")
        assert_fits_the_phone(page)
        shot(page, "nrs")
        page.locator("#q-nrs_back label.scale-option", has_text="3").first.check()
        page.get_by_role("button", name="Save and finish later").click()
        assert "Your answers are saved" in page.inner_text("h1")

        # Resume with the same link: the back-pain answer is still there.
        page.goto(link)
        confirm_identity(page)
        assert "started" in page.inner_text("ol.steps")
        page.get_by_role("link", name="Continue").click()
        page.wait_for_url("**/p/q/nrs/")
        assert page.locator("#item_nrs_back-3").is_checked()
        page.locator("#item_nrs_leg-2").check()
        page.get_by_role("button", name="Save and continue").click()

        # EQ-5D-5L with a mistyped VAS first: a plain message, nothing lost.
        page.wait_for_url("**/p/q/eq5d5l/")
        for item in EQ5D_ITEMS:
            page.locator(f"#item_{item}-1").check()  # level 2
        page.fill("#item_eq5d_vas-first", "150")
        page.get_by_role("button", name="Next: check your answers").click()
        assert "Please enter a whole number from 0 to 100." in page.inner_text(".error-summary")
        assert page.locator("#item_eq5d_mo-1").is_checked()
        page.fill("#item_eq5d_vas-first", "80")
        page.get_by_role("button", name="Next: check your answers").click()

        # Double tap on Send: one response per questionnaire.
        page.wait_for_url("**/p/review/")
        csrf = page.locator("form.send-form input[name=csrfmiddlewaretoken]").input_value()
        page.locator("#send-answers").dblclick()
        _wait_for_path(page, "/p/done/")
        # Chromium may drop the second tap while the first navigates, so also replay the
        # same POST as a flaky network's retry would (same cookies, same CSRF token).
        retry = page.request.post(
            f"{live_server.url}/p/review/",
            form={"csrfmiddlewaretoken": csrf},
            headers={"Origin": live_server.url, "Referer": f"{live_server.url}/p/review/"},
        )
        assert retry.ok and retry.url.endswith("/p/done/")
        assert len(review_posts) >= 1
        new = QuestionnaireResponse.objects.filter(episode=anna.episode, timepoint="24m")
        assert sorted(new.values_list("instrument_id", flat=True)) == ["eq5d5l", "nrs", "odi"]
        assert new.get(instrument_id="odi").scores["odi"] == 20.0

        page.get_by_role("link", name="See your results: before and now").click()
        page.wait_for_url("**/p/results/")
        odi = page.locator("section.result[data-measure=odi]")
        assert "Your disability score went from 46 to 20." in odi.inner_text()
        assert "(Ostelo 2008)" in odi.inner_text()
        assert odi.locator("svg circle.patient-dot").count() == 4  # baseline, 3 m, 12 m, 24 m
        assert_fits_the_phone(page)
        shot(page, "results")
        # The link is completed once.
        page.goto(link)
        assert "we already have your answers" in page.inner_text("h1")
    finally:
        context.close()


def test_keyboard_only_answers_with_visible_focus(browser, live_server, anna):
    _, token = invite(anna.episode, "24m")
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/p/{token}")
        page.focus("#id_day")
        page.keyboard.type(str(DOB.day))
        page.keyboard.press("Tab")
        page.keyboard.type(str(DOB.month))
        page.keyboard.press("Tab")
        page.keyboard.type(str(DOB.year))
        page.keyboard.press("Enter")
        page.wait_for_url("**/p/")
        page.goto(f"{live_server.url}/p/q/nrs/")
        page.focus("#item_nrs_back-first")
        page.keyboard.press("ArrowRight")  # radio group: arrows move and select
        assert page.locator("#item_nrs_back-1").is_checked()
        outline = page.eval_on_selector(
            "#item_nrs_back-1", "e => getComputedStyle(e.closest('label')).outlineStyle"
        )
        assert outline == "solid"  # :focus-within ring on the whole answer
    finally:
        context.close()


def test_long_site_name_leaves_the_leave_button_whole(browser, live_server, anna):
    """At 360 px a long clinic name ("Northfield Spine Centre (synthetic)" in the demo) wraps;
    the Leave button beside it must not break into "Lea" / "ve"."""
    from fusiontrack.registry.models import Site

    Site.objects.filter(pk=anna.patient.site_id).update(name="Northfield Spine Centre (synthetic)")
    _, token = invite(anna.episode, "24m")
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/p/{token}")
        confirm_identity(page)
        assert "Northfield Spine Centre" in page.inner_text("header.bar")
        assert_fits_the_phone(page)
        assert page.inner_text("header.bar button.link") == "Leave"
    finally:
        context.close()


def _wait_for_path(page, path: str, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page shows ``path``. A double tap sends two submissions; the second
    aborts the first's navigation, which `wait_for_url` reports as an error (seen under CI
    load), so the aborted navigation is tolerated and the final URL is what counts."""
    import time

    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            page.wait_for_url(f"**{path}", timeout=max(1.0, deadline - time.monotonic()) * 1000)
            return
        except PlaywrightError:
            if page.url.endswith(path):
                return
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
