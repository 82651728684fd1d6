"""Synthetic demo radiographs: deterministic films drawn on their landmarks, and the demo loader
that measures them on operated L4–L5 episodes (idempotent)."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from click.testing import CliRunner

from fusiontrack.core.radiology import compute_measures, compute_motion
from fusiontrack.imaging import synthetic


def test_synthetic_films_are_deterministic_and_drawn_on_their_landmarks():
    from PIL import Image

    first = synthetic.render(synthetic.landmarks("preop"))
    assert synthetic.render(synthetic.landmarks("preop")) == first
    pixels = np.asarray(Image.open(io.BytesIO(first)), dtype=float)
    assert pixels.shape == (synthetic.HEIGHT, synthetic.WIDTH)
    background = pixels[50:150, 50:150].mean()  # outside the soft-tissue ellipse
    for name, (x, y) in synthetic.landmarks("preop").items():
        if name.startswith("femoral"):
            continue  # head centres sit inside the drawn circles
        patch = pixels[int(y) - 3 : int(y) + 4, int(x) - 3 : int(x) + 4]
        assert patch.mean() > background + 60, name  # on a bright cortical corner


def test_synthetic_post_op_film_shows_the_surgery():
    """Pre-op L4–L5 slip 21.6 % (Meyerding I) → 7.6 %, L5–S1 lordosis +5°, pelvis unchanged;
    the post-op flexion/extension pair moves 1° at L4–L5 (within the default limits)."""
    before = compute_measures(synthetic.landmarks("preop"), synthetic.SPACING_MM).as_dict()
    after = compute_measures(synthetic.landmarks("postop"), synthetic.SPACING_MM).as_dict()
    assert before["slip_percent_l4_l5"] == pytest.approx(21.6, abs=0.1)
    assert after["slip_percent_l4_l5"] == pytest.approx(7.6, abs=0.1)
    assert after["segmental_lordosis_l5_s1"] - before["segmental_lordosis_l5_s1"] == (
        pytest.approx(5.0, abs=0.05)
    )
    assert after["pelvic_incidence"] == pytest.approx(before["pelvic_incidence"])
    motion = compute_motion(
        synthetic.landmarks("flexion"),
        synthetic.landmarks("extension"),
        level="L4-L5",
        flexion_spacing=synthetic.SPACING_MM,
    )
    assert motion.angular_motion_deg == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError, match="kind must be one of"):
        synthetic.landmarks("oblique")


@pytest.mark.django_db
def test_imaging_demo_measures_operated_episodes_once(anna, personas, settings, tmp_path, today):
    from fusiontrack.imaging.demo import load_imaging_demo
    from fusiontrack.imaging.models import LandmarkSet, Radiograph
    from fusiontrack.imaging.summary import latest_measures_for_episode

    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")
    report = load_imaging_demo(episodes=5, as_of=today)
    assert report.episode_ids == (anna.episode.pk,) and report.films == 4
    films = Radiograph.objects.filter(episode=anna.episode).order_by("acquired_on", "kind")
    surgery = anna.episode.surgery_date
    assert [(f.kind, f.acquired_on) for f in films] == [
        ("preop", surgery - dt.timedelta(days=21)),
        ("extension", surgery + dt.timedelta(days=365)),
        ("flexion", surgery + dt.timedelta(days=365)),
        ("postop", surgery + dt.timedelta(days=365)),
    ]
    assert {f.spacing_source for f in films} == {"manual"}
    assert set(LandmarkSet.objects.values_list("measured_by__username", flat=True)) == {"sofia"}
    latest = latest_measures_for_episode(anna.episode)
    expected = compute_measures(synthetic.landmarks("postop"), synthetic.SPACING_MM).as_dict()
    assert latest["postop"]["values"] == pytest.approx(expected)
    assert latest["motion"]["L4-L5"]["angular_motion_deg"] == pytest.approx(1.0, abs=0.01)
    again = load_imaging_demo(episodes=5, as_of=today)  # idempotent
    assert again.films == 0 and Radiograph.objects.count() == 4


@pytest.mark.django_db
def test_imaging_demo_skips_operations_less_than_a_year_ago(anna, settings, tmp_path):
    from fusiontrack.imaging.demo import load_imaging_demo

    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")
    day = anna.episode.surgery_date + dt.timedelta(days=364)
    assert load_imaging_demo(episodes=5, as_of=day).films == 0


@pytest.mark.django_db
def test_imaging_demo_command(anna, settings, tmp_path, today):
    from fusiontrack.cli import main

    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")
    result = CliRunner().invoke(main, ["imaging-demo", "--as-of", today.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"Added 4 measured synthetic films to episodes {anna.episode.pk}." in result.output
    result = CliRunner().invoke(main, ["imaging-demo", "--as-of", today.isoformat()])
    assert "No operated L4–L5 episode without radiographs" in result.output


@pytest.mark.django_db
def test_imaging_demo_takes_episodes_at_every_site(anna, personas, settings, tmp_path, today):
    """Each site's demo surgeon sees films: `episodes` is per site."""
    from fusiontrack.imaging.demo import load_imaging_demo
    from tests.conftest import build_patient

    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")
    second_north = build_patient(personas.north, personas.sofia, mrn="N-2", today=today)
    south = build_patient(personas.south, personas.kim, mrn="S-1", today=today)
    report = load_imaging_demo(episodes=1, as_of=today)
    assert report.episode_ids == (anna.episode.pk, south.episode.pk)
    assert second_north.episode.radiographs.count() == 0
    assert south.episode.radiographs.get(kind="postop").landmark_sets.get().measured_by == (
        personas.kim
    )
