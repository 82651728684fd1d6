"""Radiographic measures on the cohort dashboard (issue 8 §3): per measure n pairs, mean pre-op,
mean post-op, mean change with its 95 % paired t interval; on the page, in the CSV, suppressed
for researchers, one query.

Fixture (films measured with the core on the imaging factory's film, 0.15 × 0.14 mm pixels; L4
moved back along the L5 endplate to change the L4–L5 slip):
  Anna   N-1001 North: slip L4–L5 20.2036 % (film as drawn) → 7.9401 % (L4 15 px back)
  Birger N-1002 North: slip L4–L5 28.3793 % (L4 10 px forward) → 20.2036 % (as drawn)
  Dagny  S-2001 South: same films as Anna — never in North's numbers
Both North patients consent to research, so the researcher sees n = 2 → "<5".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import pandas as pd
import pytest

from tests.conftest import build_patient
from tests.imaging_factory import LANDMARKS_1000, make_dicom

pytestmark = pytest.mark.django_db

URL = "/cohort/"
SPACING = (0.15, 0.14)
#: Slip L4–L5 means over Anna and Birger (values from the core, see the module docstring).
PRE_MEAN = (20.203631 + 28.379327) / 2  # 24.2915
POST_MEAN = (7.940086 + 20.203631) / 2  # 14.0719
CHANGE_MEAN = POST_MEAN - PRE_MEAN  # −10.2196; changes −12.2635 and −8.1757
#: t(0.975, 1) = 12.7062 × SD of the two changes / √2 = 12.7062 × 2.0439 = 25.9703
HALF_WIDTH = 12.706205 * abs(-12.263545 - -8.175696) / 2


@pytest.fixture(autouse=True)
def fresh_snapshot():
    from fusiontrack.insight.snapshot import invalidate

    invalidate()
    yield
    invalidate()


def moved_l4(points: dict, shift_px: float) -> dict:
    """Move L4 (and L1) backwards along the L5 endplate direction by ``shift_px``."""
    ax, ay = points["L5_superior_anterior"]
    px, py = points["L5_superior_posterior"]
    length = math.hypot(ax - px, ay - py)
    ux, uy = (ax - px) / length, (ay - py) / length
    moved = dict(points)
    for name in [n for n in points if n.startswith(("L4_", "L1_"))]:
        x, y = points[name]
        moved[name] = (x - ux * shift_px, y - uy * shift_px)
    return moved


def measure_films(record, user, pre_shift: float, post_shift: float) -> None:
    from fusiontrack.imaging import services

    surgery = record.episode.surgery_date
    for kind, day, shift in (("preop", -20, pre_shift), ("postop", 90, post_shift)):
        upload = services.Upload(
            [make_dicom(pixel_spacing=SPACING)], kind, surgery + dt.timedelta(days=day), None
        )
        film = services.ingest(None, record.episode, upload, role="surgeon", user=user)
        services.save_landmarks(
            None,
            film,
            moved_l4(LANDMARKS_1000, shift),
            based_on_version=0,
            role="surgeon",
            user=user,
        )


@pytest.fixture
def measured(personas, today, settings, tmp_path):
    from fusiontrack.registry.models import Patient

    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")
    p = personas
    anna = build_patient(p.north, p.sofia, mrn="N-1001", today=today)
    birger = build_patient(
        p.north, p.sofia, mrn="N-1002", given="Birger", family="Nilsson", today=today
    )
    dagny = build_patient(p.south, p.kim, mrn="S-2001", given="Dagny", family="Holm", today=today)
    measure_films(anna, p.sofia, 0.0, 15.0)
    measure_films(birger, p.sofia, -10.0, 0.0)
    measure_films(dagny, p.kim, 0.0, 15.0)
    Patient.objects.filter(mrn__in=["N-1001", "N-1002"]).update(consent_research=True)
    return p


def _csv_rows(text: str) -> list[dict[str, str]]:
    comment, header, *rows = csv.reader(io.StringIO(text))
    assert comment[0].startswith("# Radiographic measures")
    return [dict(zip(header, row, strict=True)) for row in rows]


def _slip_row_html(values: list[str]) -> str:
    return "<tr><td>Slip L4–L5</td>" + "".join(f"<td>{v}</td>" for v in values) + "</tr>"


def test_radiographic_table_against_hand_computed_values():
    """Pre 28 and 20, post 8 and 10: changes −20 and −10 → mean −15, SD 7.0711, 95 % CI
    −15 ± t(0.975, 1)·7.0711/√2 = −15 ± 12.7062·5 = −15 ± 63.531. A measure with one pair has a
    mean but no interval; one with no pair is left out; rows follow the core's order."""
    from fusiontrack.insight.radiographic import COLUMNS, radiographic_table

    changes = pd.DataFrame(
        {
            "episode_id": [1, 2, 1, 2, 1],
            "measure": ["slip_percent_l4_l5"] * 2 + ["sacral_slope"] * 2 + ["pelvic_tilt"],
            "label": ["Slip L4–L5"] * 2 + ["Sacral slope"] * 2 + ["Pelvic tilt"],
            "unit": ["%", "%", "deg", "deg", "deg"],
            "preop": [28.0, 20.0, 40.0, 38.0, 20.0],
            "postop": [8.0, 10.0, 42.0, float("nan"), float("nan")],
        }
    )
    changes["change"] = changes["postop"] - changes["preop"]
    table = radiographic_table(changes)
    frame = table.frame
    assert list(frame.columns) == COLUMNS and table.key == "radiographic"
    assert list(frame["measure"]) == ["Sacral slope", "Slip L4–L5"]
    slip = frame.iloc[1]
    assert (slip["unit"], slip["n"]) == ("%", 2)
    assert (slip["preop_mean"], slip["postop_mean"]) == pytest.approx((24.0, 9.0))
    assert slip["mean_change"] == pytest.approx(-15.0)
    assert (slip["change_lower"], slip["change_upper"]) == pytest.approx(
        (-78.531, 48.531), abs=1e-3
    )
    sacral = frame.iloc[0]
    assert (sacral["n"], sacral["mean_change"]) == (1, pytest.approx(2.0))
    assert math.isnan(sacral["change_lower"]) and math.isnan(sacral["change_upper"])
    assert radiographic_table(changes.iloc[0:0]).frame.empty


def test_dashboard_and_csv_show_the_cohort_means(measured, client_for, today):
    client = client_for(measured.sofia)
    page = client.get(URL).content.decode()
    assert "<h2>Radiographic measures</h2>" in page
    values = ["%", "2", "24.3", "14.1", "-10.2", f"{CHANGE_MEAN - HALF_WIDTH:.1f}", "15.8"]
    assert f"{CHANGE_MEAN - HALF_WIDTH:.1f}" == "-36.2"
    assert _slip_row_html(values) in page
    assert "/cohort/csv/radiographic.csv" in page

    response = client.get(URL + "csv/radiographic.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = {r["measure"]: r for r in _csv_rows(response.content.decode())}
    slip = rows["Slip L4–L5"]
    assert (slip["unit"], slip["n"]) == ("%", "2")
    assert float(slip["preop_mean"]) == pytest.approx(PRE_MEAN, abs=1e-4)
    assert float(slip["postop_mean"]) == pytest.approx(POST_MEAN, abs=1e-4)
    assert float(slip["mean_change"]) == pytest.approx(CHANGE_MEAN, abs=1e-4)
    assert float(slip["change_lower"]) == pytest.approx(CHANGE_MEAN - HALF_WIDTH, abs=1e-3)
    assert float(slip["change_upper"]) == pytest.approx(CHANGE_MEAN + HALF_WIDTH, abs=1e-3)
    # the films did not change lordosis: same value before and after, change 0
    lordosis = rows["Lumbar lordosis L1–S1"]
    assert float(lordosis["preop_mean"]) == pytest.approx(49.0192, abs=1e-4)
    assert lordosis["mean_change"] == "0.0"  # not "-0.0" from float noise
    assert len(rows) == 19  # every numeric measure of the core has a pair


def test_filters_narrow_the_radiographic_table(measured, client_for):
    """South's surgeon sees Dagny alone; a North filter that keeps only Anna gives n = 1."""
    south = client_for(measured.kim).get(URL + "csv/radiographic.csv").content.decode()
    slip = {r["measure"]: r for r in _csv_rows(south)}["Slip L4–L5"]
    assert slip["n"] == "1"
    assert float(slip["preop_mean"]) == pytest.approx(20.2036, abs=1e-4)
    assert float(slip["mean_change"]) == pytest.approx(7.9401 - 20.2036, abs=1e-4)


def test_researcher_sees_small_cells_suppressed(measured, client_for):
    client = client_for(measured.rhea)
    page = client.get(URL).content.decode()
    assert _slip_row_html(["%", "&lt;5", "–", "–", "–", "–", "–"]) in page
    assert "24.3" not in page.split('id="t-radiographic"')[1].split("</section>")[0]
    rows = _csv_rows(client.get(URL + "csv/radiographic.csv").content.decode())
    slip = {r["measure"]: r for r in rows}["Slip L4–L5"]
    assert slip["n"] == "<5"
    assert slip["preop_mean"] == slip["postop_mean"] == slip["mean_change"] == ""
    assert slip["change_lower"] == slip["change_upper"] == ""


def test_one_query_whatever_the_cohort_size(
    measured, today, monkeypatch, django_assert_num_queries
):
    """The ids of the filtered cohort go into one query; above ``ID_LIST_LIMIT`` the sites'
    episodes are a subquery and the rows are narrowed in pandas (same result)."""
    from fusiontrack.insight import radiographic
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.insight.queries import load_cohort

    north = [measured.north.pk]
    data = load_cohort(north, CohortFilter(), as_of=today)
    with django_assert_num_queries(1):
        by_list = radiographic.load_changes(north, data)
    monkeypatch.setattr(radiographic, "ID_LIST_LIMIT", 1)
    with django_assert_num_queries(1):
        by_subquery = radiographic.load_changes(north, data)
    assert by_subquery.equals(by_list)
    assert set(by_list["episode_id"]) == set(data.episodes.index)
    empty = load_cohort(north, CohortFilter.parse({"approach": "alif"}), as_of=today)
    with django_assert_num_queries(0):
        assert radiographic.load_changes(north, empty).empty
