"""Cohort dashboard: numbers against hand-computed values on a four-patient fixture, filters,
site scoping, researchers de-identified (no names or MRNs, small cells suppressed), CSV safety,
audit.

Fixture (every patient operated 400 days before today; ODI % = 2 × section total):
  Anna   N-1001 North, Dr Lind: ODI 46 → 30 (3 m) → 18 (12 m), two urinary retentions (CD I)
  Birger N-1002 North, Dr Lind: ODI 40 → 36 (3 m) → 30 (12 m)
  Cleo   N-1003 North, Dr Lind: ODI 50 → 40 (3 m), 12 m not yet answered (window open to day 455)
  Dagny  S-2001 South, Dr Park: ODI 30 → 20 (3 m) → 10 (12 m) — never in North's numbers
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from tests.conftest import build_patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_snapshot():
    """The cohort snapshot is process-wide; each test starts and ends without one."""
    from fusiontrack.insight.snapshot import invalidate

    invalidate()
    yield
    invalidate()


URL = "/cohort/"
NAMES = ("Anna", "Berg", "Birger", "Nilsson", "Cleo", "Ekdahl", "Dagny", "Holm")
MRNS = ("N-1001", "N-1002", "N-1003", "S-2001")


@pytest.fixture
def cohort(personas, today):
    p = personas
    build_patient(p.north, p.sofia, mrn="N-1001", today=today, complications=2)
    build_patient(
        p.north,
        p.sofia,
        mrn="N-1002",
        given="Birger",
        family="Nilsson",
        today=today,
        odi_series={"baseline": 20, "3m": 18, "12m": 15},
    )
    build_patient(
        p.north,
        p.sofia,
        mrn="N-1003",
        given="Cleo",
        family="Ekdahl",
        today=today,
        odi_series={"baseline": 25, "3m": 20},
    )
    build_patient(
        p.south,
        p.kim,
        mrn="S-2001",
        given="Dagny",
        family="Holm",
        today=today,
        odi_series={"baseline": 15, "3m": 10, "12m": 5},
    )
    from fusiontrack.registry.models import Patient

    # Research consent: Anna and Birger yes, Cleo no (researchers see 2 North patients).
    Patient.objects.filter(mrn__in=["N-1001", "N-1002"]).update(consent_research=True)
    return p


def _view(site_ids, today, **filters):
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.insight.service import compute

    return compute(site_ids, CohortFilter.parse(filters), as_of=today, deidentified=False)


def _row(frame, **match):
    for key, value in match.items():
        frame = frame[frame[key] == value]
    assert len(frame) == 1, frame
    return frame.iloc[0]


def test_means_changes_and_mcid_against_hand_computed_values(cohort, today):
    """Means (46+40+50)/3 = 45.33; change at 3 m: −16, −4, −10 → mean −10, SD 6, 95 % CI
    −10 ± t(0.975, 2)·6/√3 = −10 ± 4.30265·3.46410 = −10 ± 14.9048. MCID (10 ODI points)
    at 3 m: Anna and Cleo of 3; at 12 m: 2 of 2 answering, 2 eligible (Cleo's window is open).
    PASS at 12 m: Anna (18) of 2."""
    board = _view([cohort.north.pk], today).board
    means = board.tables["means"].frame
    assert _row(means, measure="odi", timepoint="baseline")["mean"] == pytest.approx(136 / 3)
    assert _row(means, measure="odi", timepoint="12m")["n"] == 2
    change = _row(board.tables["changes"].frame, measure="odi", timepoint="3m")
    assert change["n"] == 3
    assert change["mean_change"] == pytest.approx(-10.0)
    assert (change["lower"], change["upper"]) == pytest.approx((-24.9048, 4.9048), abs=1e-4)
    rates = board.tables["thresholds"].frame
    mcid3 = _row(rates, measure="odi", timepoint="3m", threshold="MCID")
    assert (mcid3["n_reaching"], mcid3["n_answering"], mcid3["n_eligible"]) == (2, 3, 3)
    mcid12 = _row(rates, measure="odi", timepoint="12m", threshold="MCID")
    assert (mcid12["n_reaching"], mcid12["n_answering"], mcid12["n_eligible"]) == (2, 2, 2)
    pass12 = _row(rates, measure="odi", timepoint="12m", threshold="PASS")
    assert pass12["n_reaching"] == 1
    assert pass12["proportion"] == pytest.approx(0.5)


def test_complications_completeness_and_survival_on_the_fixture(cohort, today):
    board = _view([cohort.north.pk], today).board
    comp = board.tables["complications"].frame
    assert _row(comp, category="Urinary retention")["n_patients"] == 1
    assert _row(comp, category="Any complication")["percent"] == pytest.approx(100 / 3)
    grades = board.tables["clavien_dindo"].frame
    assert _row(grades, grade="I")["n_patients"] == 1
    done = board.tables["completeness"].frame
    assert _row(done, timepoint="3m", site="all sites")["n_answered"] == 3
    twelve = _row(done, timepoint="12m", site="all sites")
    # 12-month window closes on day 365 + 90 = 455; operated 400 days ago: not yet counted.
    assert (twelve["n_answered"], twelve["n_eligible"]) == (0, 0)
    km = board.tables["survival"].frame
    free = _row(km, curve="Complication-free", months=12.0)
    assert free["survival"] == pytest.approx(2 / 3)
    assert free["at_risk"] == 2
    assert math.isnan(board.tables["length_of_stay"].frame["mean"].iloc[0])


def test_another_sites_patient_never_enters_the_numbers(cohort, today):
    board = _view([cohort.north.pk], today).board
    assert board.n_episodes == 3
    assert _view([cohort.south.pk], today).board.n_episodes == 1


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, 3),
        ({"sex": "female"}, 3),
        ({"sex": "male"}, 0),
        ({"approach": "tlif", "levels": "L4-L5"}, 3),
        ({"approach": "alif"}, 0),
        ({"diagnosis": "degenerative_spondylolisthesis"}, 3),
        ({"age_band": "50-64"}, 3),  # born 1961-04-12, operated 400 days ago: 64
        ({"age_band": "65-74"}, 0),
        ({"age_band": "18-49"}, 0),
        ({"site": "south"}, 0),
    ],
)
def test_filters_narrow_the_cohort(cohort, today, filters, expected):
    assert _view([cohort.north.pk], today, **filters).board.n_episodes == expected


def test_surgeon_and_date_filters(cohort, today):
    assert _view([cohort.north.pk], today, surgeon=cohort.sofia.pk).board.n_episodes == 3
    assert _view([cohort.north.pk], today, surgeon=cohort.kim.pk).board.n_episodes == 0
    later = (today).isoformat()
    assert _view([cohort.north.pk], today, date_from=later).board.n_episodes == 0


def test_a_bad_filter_is_a_400_with_a_message(cohort, client_for):
    response = client_for(cohort.sofia).get(URL, {"approach": "laser", "date_from": "x"})
    assert response.status_code == 400
    assert "approach must be one of" in response.content.decode()


def test_surgeon_sees_the_dashboard_with_names_in_filters(cohort, client_for):
    response = client_for(cohort.sofia).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 operated episodes" in html
    assert "Sofia Lind" in html
    assert "<svg" in html


def test_researcher_sees_no_identifiers_and_small_cells_suppressed(cohort, client_for):
    client = client_for(cohort.rhea)
    html = client.get(URL).content.decode()
    assert "De-identified view" in html
    assert "&lt;5" in html
    for secret in (*NAMES, *MRNS, "Sofia", "Lind", "1961-04-12"):
        assert not re.search(rf"\b{secret}\b", html), secret
    assert "Surgeon A" in html
    csv_text = client.get(URL + "csv/thresholds.csv").content.decode()
    for secret in (*NAMES, *MRNS):
        assert not re.search(rf"\b{secret}\b", csv_text), secret
    assert ",<5," in csv_text


def test_researcher_cannot_download_a_patient_report(cohort, client_for):
    from fusiontrack.registry.models import Patient

    anna = Patient.objects.get(mrn="N-1001")
    response = client_for(cohort.rhea).get(f"{URL}patients/{anna.pk}/report.pdf")
    assert response.status_code == 403


def test_every_table_downloads_as_csv_and_is_audited(cohort, client_for):
    from fusiontrack.registry.models import AuditEvent

    client = client_for(cohort.omar)
    for key in (
        "cohort",
        "means",
        "changes",
        "thresholds",
        "completeness",
        "complications",
        "clavien_dindo",
        "early_events",
        "survival",
        "survival_curve",
        "fusion",
        "length_of_stay",
        "return_to_work",
    ):
        response = client.get(f"{URL}csv/{key}.csv", {"site": "north"})
        assert response.status_code == 200, key
        assert response["Content-Type"].startswith("text/csv")
    assert client.get(URL + "csv/nothing.csv").status_code == 404
    assert AuditEvent.objects.filter(action="export", object_type="cohort_csv").count() == 13


def test_csv_cells_that_look_like_formulas_are_neutralised():
    import pandas as pd

    from fusiontrack.insight.csvout import frame_to_csv, safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-cmd") == "'-cmd"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell(-19.5) == "-19.5"
    text = frame_to_csv(pd.DataFrame({"level": ["=1+1"], "n": [3]}))
    assert text.splitlines() == ["level,n", "'=1+1,3"]


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_new_record_clears_the_cached_cohort(cohort, today):
    """The dashboard reads an in-memory snapshot; saving a registry record must clear it."""
    from fusiontrack.registry.models import Complication, Episode

    assert (
        _view([cohort.north.pk], today).board.tables["complications"].frame.iloc[0]["n_patients"]
        == 1
    )
    episode = Episode.objects.get(patient__mrn="N-1002")
    Complication.objects.create(
        episode=episode, occurred_on=today, category="durotomy", clavien_dindo="I"
    )
    any_row = _view([cohort.north.pk], today).board.tables["complications"].frame.iloc[0]
    assert any_row["n_patients"] == 2


@pytest.mark.parametrize(
    "filters",
    [
        {"approach": "tlif"},
        {"sex": "female", "age_band": "50-64"},
        {"site": "north"},
        {"diagnosis": "degenerative_spondylolisthesis", "smoking": "never"},
    ],
)
def test_snapshot_filtering_equals_sql_filtering(cohort, today, filters):
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.insight.service import compute

    parsed = CohortFilter.parse(filters)
    cached = compute([cohort.north.pk], parsed, as_of=today, deidentified=False)
    direct = compute([cohort.north.pk], parsed, as_of=today, deidentified=False, cached=False)
    assert cached.board.n_episodes == direct.board.n_episodes
    for key in ("means", "changes", "thresholds", "completeness", "complications"):
        left = cached.board.tables[key].frame.reset_index(drop=True)
        right = direct.board.tables[key].frame.reset_index(drop=True)
        text = [c for c in left.columns if c in ("measure", "timepoint", "threshold", "category")]
        pd.testing.assert_frame_equal(
            left.astype(dict.fromkeys(text, str)),
            right.astype(dict.fromkeys(text, str)),
            check_dtype=False,
            rtol=1e-12,
        )


def test_withdrawn_consent_leaves_the_numbers_and_research_needs_research_consent(cohort, today):
    """fusiontrack.security.consent: a withdrawn patient leaves cohort analytics; research
    (de-identified) views hold only patients with research consent."""
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.insight.service import compute
    from fusiontrack.registry.models import Patient

    def n(deidentified: bool) -> int:
        return compute(
            [cohort.north.pk], CohortFilter(), as_of=today, deidentified=deidentified
        ).board.n_episodes

    assert (n(False), n(True)) == (3, 2)
    Patient.objects.filter(mrn="N-1001").update(consent_withdrawn_date=today)
    from fusiontrack.insight.snapshot import invalidate

    invalidate()  # .update() sends no signal; the page would see it after the cache expiry
    assert (n(False), n(True)) == (2, 1)
