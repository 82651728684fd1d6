"""Chromium end to end: a surgeon logs in, works the worklist, reads a patient's before/after
values and chart, adds a complication and sees it on the timeline."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATIENT_PAGE = re.compile(r"/patients/\d+/(\?episode=\d+)?$")
PASSWORD = "lumbar-fusion-2026"


def test_surgeon_reads_before_after_and_records_a_complication(
    browser, live_server, personas, anna, today
):
    from fusiontrack.registry.models import FollowUp

    personas.sofia.set_password(PASSWORD)
    personas.sofia.save()
    FollowUp.objects.filter(episode=anna.episode, timepoint="24m").update(
        window_opens_on=today - dt.timedelta(days=10),
        due_on=today - dt.timedelta(days=2),
        window_closes_on=today + dt.timedelta(days=60),
    )
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "sofia")
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()

        page.wait_for_url("**/worklist/")
        row = page.locator("table.worklist tbody tr", has_text="Berg, Anna")
        assert "overdue" in row.inner_text()
        row.get_by_role("link", name="Berg, Anna").click()

        page.wait_for_url(PATIENT_PAGE)
        odi = page.locator("tr.measure-row[data-measure=odi]")
        assert odi.locator("td.baseline").inner_text() == "46"
        assert odi.locator("td.latest").inner_text().startswith("18")
        assert odi.locator("td.change").inner_text() == "-28"
        assert "Substantial benefit" in odi.inner_text()
        chart = page.locator("figure.chart[data-measure=odi] svg")
        assert chart.is_visible()
        assert chart.locator("circle.patient-dot").count() == 3
        assert chart.locator("rect.mcid-band").count() == 1

        page.locator(".add-links").get_by_role("link", name="Complication").click()
        page.fill("#id_occurred_on", (today - dt.timedelta(days=390)).isoformat())
        page.select_option("#id_category", "dvt_pe")
        page.select_option("#id_clavien_dindo", "II")
        page.locator("form.record-form").get_by_role("button", name="Save").click()

        page.wait_for_url(PATIENT_PAGE)
        assert "Complication added." in page.locator(".messages").inner_text()
        timeline = page.locator("ol.events")
        assert "DVT / PE — Clavien–Dindo II" in timeline.inner_text()
    finally:
        context.close()
