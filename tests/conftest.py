"""Shared fixtures: the registry's personas, a patient builder, and a Chromium browser.

Personas (sites North and South):
  Dr Sofia Lind    surgeon at North (owns the patients in most tests)
  Omar Haddad      research coordinator at North
  Pia Berg         physiotherapist at North
  Dr Kim Park      surgeon at South (an outsider to North's patients)
  Rhea Novak       researcher at North (no identifiable data)
  Ada Admin        superuser (configuration)
Passwords are unusable (fast); tests log in with ``client.force_login``. The browser test sets a
real password for the one persona it types in.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class Personas:
    north: Any
    south: Any
    sofia: Any
    omar: Any
    pia: Any
    kim: Any
    rhea: Any
    ada: Any


@pytest.fixture
def personas(db: None) -> Personas:
    from fusiontrack.registry.models import Site
    from fusiontrack.registry.services import create_staff_user

    north = Site.objects.create(code="north", name="North Spine Centre")
    south = Site.objects.create(code="south", name="South Hospital")

    def staff(username: str, first: str, last: str, site: Any, role: str) -> Any:
        return create_staff_user(
            username, password=None, memberships=[(site, role)], first_name=first, last_name=last
        )

    return Personas(
        north=north,
        south=south,
        sofia=staff("sofia", "Sofia", "Lind", north, "surgeon"),
        omar=staff("omar", "Omar", "Haddad", north, "coordinator"),
        pia=staff("pia", "Pia", "Berg", north, "physiotherapist"),
        kim=staff("kim", "Kim", "Park", south, "surgeon"),
        rhea=staff("rhea", "Rhea", "Novak", north, "researcher"),
        ada=create_staff_user(
            "ada", password=None, memberships=[], first_name="Ada", is_superuser=True
        ),
    )


def odi_answers(total: int) -> dict[str, int]:
    """Ten ODI sections (0–5 each) summing to ``total``; ODI % = total × 2."""
    answers, left = {}, total
    for i in range(1, 11):
        value = min(5, left)
        answers[f"odi_{i}"] = value
        left -= value
    assert left == 0, "total must be 0–50"
    return answers


@dataclass
class PatientRecord:
    patient: Any
    episode: Any
    operation: Any


def build_patient(
    site: Any,
    surgeon: Any,
    *,
    mrn: str,
    given: str = "Anna",
    family: str = "Berg",
    today: dt.date,
    odi_series: dict[str, int] | None = None,
    extra_responses: int = 0,
    complications: int = 0,
) -> PatientRecord:
    """A patient operated 400 days ago with ODI and NRS at baseline and follow-ups.

    ``odi_series`` maps time points to ODI totals (0–50); ``extra_responses`` and
    ``complications`` make the record larger for query-count tests.
    """
    from fusiontrack.registry import services
    from fusiontrack.registry.models import Complication, Diagnosis, Episode, Operation, Patient

    surgery = today - dt.timedelta(days=400)
    patient = Patient.objects.create(
        site=site,
        mrn=mrn,
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(1961, 4, 12),
        sex="female",
        consent_registry=True,
        consent_registry_date=surgery - dt.timedelta(days=120),
    )
    episode = services.create_episode(
        None,
        Episode(
            patient=patient,
            title="L4–L5 TLIF",
            opened_on=surgery - dt.timedelta(days=150),
            stage="evaluation",
            surgeon=surgeon,
        ),
        role="surgeon",
        user=surgeon,
    )
    Diagnosis.objects.create(
        episode=episode,
        diagnosis="degenerative_spondylolisthesis",
        meyerding_grade="I",
        levels="L4-L5",
        diagnosed_on=surgery - dt.timedelta(days=140),
        pain_dominance="leg",
    )
    operation = services.create_record(
        None,
        Operation(
            episode=episode,
            operation_date=surgery,
            surgeon=surgeon,
            levels="L4-L5",
            approach="tlif",
            interbody_cage=True,
            cage_material="peek",
            grafts=["local_autograft"],
        ),
        role="surgeon",
    )
    services.change_stage(
        None,
        episode,
        stage="recovery",
        entered_on=surgery + dt.timedelta(days=3),
        role="surgeon",
        user=surgeon,
    )
    episode.refresh_from_db()
    offsets = {"baseline": -10, "6w": 42, "3m": 91, "6m": 182, "12m": 365}
    series = odi_series if odi_series is not None else {"baseline": 23, "3m": 15, "12m": 9}
    for timepoint, total in series.items():
        day = surgery + dt.timedelta(days=offsets[timepoint])
        services.save_response(
            None,
            episode=episode,
            instrument_id="odi",
            timepoint=timepoint,
            responded_on=day,
            answers=odi_answers(total),
            entry_mode="staff",
            role="surgeon",
            entered_by=surgeon,
        )
        services.save_response(
            None,
            episode=episode,
            instrument_id="nrs",
            timepoint=timepoint,
            responded_on=day,
            answers={
                "nrs_back": 7 if timepoint == "baseline" else 3,
                "nrs_leg": 8 if timepoint == "baseline" else 2,
            },
            entry_mode="phone",
            role="surgeon",
            entered_by=surgeon,
        )
    for i in range(extra_responses):
        services.save_response(
            None,
            episode=episode,
            instrument_id="nrs",
            timepoint="6m",
            responded_on=surgery + dt.timedelta(days=170 + i % 20),
            answers={"nrs_back": i % 11, "nrs_leg": (i + 3) % 11},
            entry_mode="staff",
            role="surgeon",
            entered_by=surgeon,
        )
    for i in range(complications):
        Complication.objects.create(
            episode=episode,
            occurred_on=surgery + dt.timedelta(days=5 + i),
            category="urinary_retention",
            clavien_dindo="I",
            resolved=True,
        )
    return PatientRecord(patient, episode, operation)


@pytest.fixture
def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def anna(personas: Personas, today: dt.date) -> PatientRecord:
    """Anna Berg, Dr Lind's patient at North: ODI 46 → 30 (3 m) → 18 (12 m)."""
    return build_patient(personas.north, personas.sofia, mrn="N-1001", today=today)


@pytest.fixture
def client_for(client: Any) -> Any:
    def login(user: Any) -> Any:
        client.force_login(user)
        return client

    return login


# -- browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (system package) through Playwright's sync API.

    Skips when Chromium or Playwright is missing, unless FUSIONTRACK_REQUIRE_BROWSER=1 (CI),
    which turns the skip into a failure.
    """
    required = os.environ.get("FUSIONTRACK_REQUIRE_BROWSER") == "1"
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("Playwright is not installed (pip install -e '.[dev]').")
        pytest.skip("Playwright is not installed")
    if executable is None:
        if required:
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium).")
        pytest.skip("Chromium is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
