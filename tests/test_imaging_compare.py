"""Before/after of measured films: the table of changes and its one-line summary, the overlay
aligned on S1, flexion–extension motion, `latest_measures_for_episode` for the registry and the
cohort dashboard, and the panel on the patient page."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse

from fusiontrack.core.radiology import compute_measures, compute_motion
from fusiontrack.imaging import compare, services
from fusiontrack.imaging.summary import latest_measures_for_episode, latest_measures_for_episodes
from tests.imaging_factory import LANDMARKS_1000, make_dicom

SPACING = (0.15, 0.14)


def reduced_slip(points: dict, shift_px: float) -> dict:
    """Move L4 backwards along the L5 endplate direction: less L4–L5 slip after surgery."""
    ax, ay = points["L5_superior_anterior"]
    px, py = points["L5_superior_posterior"]
    length = math.hypot(ax - px, ay - py)
    ux, uy = (ax - px) / length, (ay - py) / length
    moved = dict(points)
    for name in [n for n in points if n.startswith(("L4_", "L1_"))]:
        x, y = points[name]
        moved[name] = (x - ux * shift_px, y - uy * shift_px)
    return moved


# --- pure presentation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "signed", "text"),
    [
        (28.4, "%", False, "28 %"),
        (6.04, "deg", True, "+6.0°"),
        (-1.26, "mm", True, "−1.3 mm"),
        (-0.01, "deg", True, "0.0°"),
        (0.4567, "ratio", False, "0.46"),
        (None, "deg", False, "—"),
    ],
)
def test_format_value(value, unit, signed, text):
    assert compare.format_value(value, unit, signed=signed) == text


def test_change_table_and_sentence_from_two_films():
    before = compute_measures(LANDMARKS_1000, SPACING).as_dict()
    after_points = reduced_slip(LANDMARKS_1000, 15.0)
    after = compute_measures(after_points, SPACING).as_dict()
    rows = {r.name: r for r in compare.change_table(before, after)}
    slip = rows["slip_percent_l4_l5"]
    assert slip.before == pytest.approx(before["slip_percent_l4_l5"])
    assert slip.change == pytest.approx(after["slip_percent_l4_l5"] - before["slip_percent_l4_l5"])
    assert slip.change < 0
    assert slip.change_text == compare.format_value(slip.change, "%", signed=True)[:-2] + " pp"
    sentence = compare.change_sentence(list(rows.values()))
    assert 0 < after["slip_percent_l4_l5"] < before["slip_percent_l4_l5"]
    assert sentence.startswith(
        f"Slip L4–L5 {before['slip_percent_l4_l5']:.0f} % → {after['slip_percent_l4_l5']:.0f} %"
    )
    assert rows["meyerding_l4_l5"].before_text == before["meyerding_l4_l5"]


def test_sentence_reads_like_the_issue_example():
    """Issue 8 §3: "slip 28 % → 8 %, L5–S1 segmental lordosis +6°"."""
    rows = compare.change_table(
        {"slip_percent_l4_l5": 28.2, "segmental_lordosis_l5_s1": 14.0},
        {"slip_percent_l4_l5": 7.9, "segmental_lordosis_l5_s1": 20.0},
    )
    assert compare.change_sentence(rows) == (
        "Slip L4–L5 28 % → 8 %, segmental lordosis L5–S1 +6.0°"
    )
    unchanged = compare.change_table(
        {"slip_percent_l5_s1": 2.2, "lumbar_lordosis_l1_s1": 49.0},
        {"slip_percent_l5_s1": 1.9, "lumbar_lordosis_l1_s1": 49.02},
    )
    assert compare.change_sentence(unchanged) == ""


def test_overlay_aligns_both_films_on_the_s1_endplate():
    outline = compare.outline(LANDMARKS_1000, SPACING)
    assert outline is not None
    s1 = outline.endplates[-1]
    (ax, ay), (px, py) = s1
    assert ay == pytest.approx(0, abs=1e-9) and py == pytest.approx(0, abs=1e-9)
    assert ax > 0 > px  # anterior to the right even though this film faces left
    assert len(outline.bodies) == 2 and outline.hip is not None
    assert outline.hip[1] > 0  # hips below the sacral endplate (SVG y down)
    width = math.dist(
        LANDMARKS_1000["S1_superior_anterior"], LANDMARKS_1000["S1_superior_posterior"]
    )
    assert 0 < ax - px < width * max(SPACING)
    assert compare.outline({"L4_superior_anterior": (1, 2)}, SPACING) is None
    assert compare.view_box(outline).count(" ") == 3


def test_motion_rows_match_the_core():
    tilted = dict(LANDMARKS_1000)
    x, y = tilted["L4_inferior_anterior"]
    tilted["L4_inferior_anterior"] = (x, y - 6.0)
    rows = compare.motion_rows((LANDMARKS_1000, SPACING), (tilted, SPACING))
    expected = compute_motion(LANDMARKS_1000, tilted, level="L4-L5", flexion_spacing=SPACING)
    l4 = next(r for r in rows if r.level == "L4-L5")
    assert l4.angular_motion_deg == pytest.approx(expected.angular_motion_deg)
    assert l4.translation_mm == pytest.approx(expected.translation_mm)
    missing = compare.motion_rows(None, (tilted, SPACING))
    assert {r.reason for r in missing} == {"no measured flexion film"}
    assert compare.levels_of("L4-L5") == ("L4-L5",)
    assert compare.levels_of("L4-S1") == ("L4-L5", "L5-S1")


# --- latest measures and the panel (database) ---------------------------------------------------


@pytest.fixture
def measured_episode(personas, anna, settings, tmp_path):
    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")

    def film(kind, acquired, points):
        upload = services.Upload([make_dicom(pixel_spacing=SPACING)], kind, acquired, None)
        radiograph = services.ingest(
            None, anna.episode, upload, role="surgeon", user=personas.sofia
        )
        services.save_landmarks(
            None, radiograph, points, based_on_version=0, role="surgeon", user=personas.sofia
        )
        return radiograph

    import datetime as dt

    surgery = anna.episode.surgery_date
    old_pre = film("preop", surgery - dt.timedelta(days=300), reduced_slip(LANDMARKS_1000, -10))
    pre = film("preop", surgery - dt.timedelta(days=20), LANDMARKS_1000)
    post = film("postop", surgery + dt.timedelta(days=90), reduced_slip(LANDMARKS_1000, 15.0))
    return anna, old_pre, pre, post


@pytest.mark.django_db
def test_latest_measures_for_episode(measured_episode, personas):
    anna, _old, pre, post = measured_episode
    latest = latest_measures_for_episode(anna.episode)
    assert latest["preop"]["radiograph_id"] == pre.pk  # the latest pre-op film, not the older
    assert latest["postop"]["radiograph_id"] == post.pk
    assert latest["preop"]["measured_by"] == "sofia" and latest["preop"]["version"] == 1
    before = compute_measures(LANDMARKS_1000, SPACING).as_dict()
    after = compute_measures(reduced_slip(LANDMARKS_1000, 15.0), SPACING).as_dict()
    assert latest["preop"]["values"] == pytest.approx(before)
    assert latest["changes"]["slip_percent_l4_l5"] == pytest.approx(
        after["slip_percent_l4_l5"] - before["slip_percent_l4_l5"]
    )
    assert "meyerding_l4_l5" not in latest["changes"]
    assert latest["flexion"] is None
    assert latest["motion"]["L4-L5"]["reason"] == "no measured flexion film"
    assert latest_measures_for_episodes([anna.episode.pk]) == {anna.episode.pk: latest}


@pytest.mark.django_db
def test_latest_measures_of_an_unmeasured_episode_are_empty(anna):
    latest = latest_measures_for_episode(anna.episode)
    assert latest["preop"] is None and latest["postop"] is None and latest["changes"] == {}


@pytest.mark.django_db
def test_bulk_latest_measures_use_one_query(measured_episode, django_assert_num_queries):
    anna, *_ = measured_episode
    with django_assert_num_queries(1):
        latest_measures_for_episodes([anna.episode.pk, 999_999])


@pytest.mark.django_db
def test_patient_page_and_episode_page_show_the_change(measured_episode, client_for, personas):
    anna, *_ = measured_episode
    client = client_for(personas.sofia)
    patient_page = client.get(
        reverse("registry:patient_detail", args=[anna.patient.pk])
    ).content.decode()
    episode_page = client.get(reverse("imaging:episode", args=[anna.episode.pk])).content.decode()
    latest = latest_measures_for_episode(anna.episode)
    expected = (
        f"Slip L4–L5 {latest['preop']['values']['slip_percent_l4_l5']:.0f} % → "
        f"{latest['postop']['values']['slip_percent_l4_l5']:.0f} %"
    )
    assert "Radiographs, measurements and fusion" in patient_page
    assert expected in patient_page and expected in episode_page
    # the patient page's panel: headline measures pre-op → post-op with the change
    slip = latest["changes"]["slip_percent_l4_l5"]
    assert (
        '<tr data-measure="slip_percent_l4_l5"><th scope="row">Slip L4–L5</th>'
        f'<td class="num">{latest["preop"]["values"]["slip_percent_l4_l5"]:.0f} %</td>'
        f'<td class="num">{latest["postop"]["values"]["slip_percent_l4_l5"]:.0f} %</td>'
        f'<td class="num">{compare.format_value(slip, "%", signed=True)[:-2]} pp</td></tr>'
    ) in patient_page
    assert "<strong>Fusion:</strong> no assessment recorded." in patient_page
    assert episode_page.count('<figure class="film-figure') == 2
    assert 'class="ol-before"' in episode_page and 'class="ol-after"' in episode_page


@pytest.mark.django_db
def test_cohort_radiographic_changes_for_the_dashboard(
    measured_episode, personas, django_assert_num_queries
):
    """Long frame of pre-op/post-op/change: the latest films, the core's numbers, one query."""
    from fusiontrack.imaging.summary import COHORT_COLUMNS, cohort_radiographic_changes
    from fusiontrack.registry.models import Episode

    anna, _old, pre, post = measured_episode
    with django_assert_num_queries(1):
        frame = cohort_radiographic_changes([anna.episode.pk, 999_999])
    assert tuple(frame.columns) == COHORT_COLUMNS
    assert set(frame["episode_id"]) == {anna.episode.pk}
    before = compute_measures(LANDMARKS_1000, SPACING).as_dict()
    after = compute_measures(reduced_slip(LANDMARKS_1000, 15.0), SPACING).as_dict()
    slip = frame.set_index("measure").loc["slip_percent_l4_l5"]
    assert slip["preop"] == pytest.approx(before["slip_percent_l4_l5"])  # latest pre-op film
    assert slip["postop"] == pytest.approx(after["slip_percent_l4_l5"])
    assert slip["change"] == pytest.approx(
        after["slip_percent_l4_l5"] - before["slip_percent_l4_l5"]
    )
    assert slip["unit"] == "%" and slip["label"] == "Slip L4–L5"
    assert slip["preop_on"] == pre.acquired_on and slip["postop_on"] == post.acquired_on
    assert len(frame) == 19  # every numeric measure of the core, grades left out
    assert frame["change"].dtype == "float64"
    # a queryset of ids stays a subquery (still one query); an empty cohort is an empty frame
    with django_assert_num_queries(1):
        again = cohort_radiographic_changes(Episode.objects.filter(pk=anna.episode.pk).values("pk"))
    assert again.equals(frame)
    assert cohort_radiographic_changes([]).empty


@pytest.mark.django_db
def test_cohort_changes_of_an_episode_with_only_a_preop_film(measured_episode):
    from fusiontrack.imaging.summary import cohort_radiographic_changes

    anna, _old, _pre, post = measured_episode
    post.delete()
    frame = cohort_radiographic_changes([anna.episode.pk])
    assert frame["postop"].isna().all() and frame["change"].isna().all()
    assert frame["preop"].notna().all()


@pytest.mark.django_db
def test_patient_panel_shows_the_latest_fusion_assessment(measured_episode, client_for, personas):
    import datetime as dt
    from decimal import Decimal

    from fusiontrack.registry.models import FusionAssessment

    anna, *_ = measured_episode
    for day, judgement, grade in ((100, "indeterminate", "III"), (400, "fused", "I")):
        FusionAssessment.objects.create(
            episode=anna.episode,
            assessment_date=anna.episode.surgery_date + dt.timedelta(days=day),
            modality="flexion_extension",
            bridwell_grade=grade,
            segmental_motion_degrees=Decimal("3.3"),
            judgement=judgement,
        )
    page = (
        client_for(personas.sofia)
        .get(reverse("registry:patient_detail", args=[anna.patient.pk]))
        .content.decode()
    )
    latest = anna.episode.surgery_date + dt.timedelta(days=400)
    assert (
        f"<strong>Fusion:</strong> Fused (Bridwell I), 3.3° motion, assessed "
        f"{latest.day} {latest:%b %Y}."
    ) in page
