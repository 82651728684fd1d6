"""Patient and cohort PDFs: rendered by WeasyPrint, text extracted with pypdf and checked for
content; the CLI commands and the web downloads (site-scoped, audited)."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner

from tests.conftest import build_patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_snapshot():
    """The cohort snapshot is process-wide; each test starts and ends without one."""
    from fusiontrack.insight.snapshot import invalidate

    invalidate()
    yield
    invalidate()


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def patients(personas, today):
    anna = build_patient(personas.north, personas.sofia, mrn="N-1001", today=today, complications=1)
    build_patient(
        personas.north,
        personas.sofia,
        mrn="N-1002",
        given="Birger",
        family="Nilsson",
        today=today,
        odi_series={"baseline": 20, "3m": 18},
    )
    return anna


def run_cli(*args: str):
    from fusiontrack.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_patient_report_from_the_cli_has_scores_journey_and_complications(patients, tmp_path):
    out = tmp_path / "patient.pdf"
    result = run_cli(
        "report",
        "patient",
        "--site",
        "north",
        "--mrn",
        "N-1001",
        "-o",
        str(out),
        "--as-of",
        "2026-11-24",
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "Anna Berg" in text
    assert "MRN N-1001" in text
    assert "ODI" in text
    assert "46" in text and "18" in text  # ODI before and at 12 months
    assert "substantial benefit at 12 months" in text
    assert "Urinary retention" in text
    assert "Journey" in text
    assert "Operation: TLIF L4-L5" in text


def test_patient_report_for_an_unknown_mrn_is_a_clear_error(patients, tmp_path):
    result = run_cli(
        "report", "patient", "--site", "north", "--mrn", "X-9", "-o", str(tmp_path / "p.pdf")
    )
    assert result.exit_code == 1
    assert "no patient with MRN 'X-9' at site 'north'" in result.output


def test_cohort_report_from_the_cli_has_every_section(patients, tmp_path):
    from fusiontrack.registry.models import AuditEvent

    out = tmp_path / "cohort.pdf"
    result = run_cli("report", "cohort", "--site", "north", "--approach", "tlif", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    for heading in (
        "Annual registry report",
        "1. Cohort description",
        "2. Patient-reported outcomes",
        "3. Complications",
        "5. Completeness of follow-up",
        "Benchmarking",
    ):
        assert heading in text, heading
    assert "2 operated episodes" in text
    assert "site = north; approach = tlif" in text
    assert "Not benchmarked" in text  # two patients cannot support a risk model
    assert AuditEvent.objects.filter(action="export", object_type="cohort_report").exists()


def test_a_bad_cli_filter_is_a_usage_error(patients, tmp_path):
    result = run_cli("report", "cohort", "--date-from", "yesterday", "-o", str(tmp_path / "c.pdf"))
    assert result.exit_code == 2
    assert "date_from must be a date as YYYY-MM-DD" in result.output


def test_deidentified_cohort_report_has_no_names(patients, tmp_path):
    out = tmp_path / "cohort.pdf"
    assert run_cli("report", "cohort", "--deidentified", "-o", str(out)).exit_code == 0
    text = pdf_text(out.read_bytes())
    assert "De-identified report" in text
    for secret in ("Anna", "Birger", "N-1001", "Sofia", "Lind"):
        assert secret not in text


def test_surgeon_downloads_the_patient_report_and_it_is_audited(patients, client_for):
    from fusiontrack.registry.models import AuditEvent

    patient = patients.patient
    response = client_for(patients.operation.surgeon).get(
        f"/cohort/patients/{patient.pk}/report.pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Anna Berg" in pdf_text(response.content)
    event = AuditEvent.objects.get(action="export", object_type="patient_report")
    assert event.patient_id_ref == patient.pk


def test_another_sites_surgeon_gets_404_for_the_patient_report(patients, personas, client_for):
    response = client_for(personas.kim).get(f"/cohort/patients/{patients.patient.pk}/report.pdf")
    assert response.status_code == 404


def test_cohort_report_downloads_from_the_web(patients, personas, client_for):
    response = client_for(personas.omar).get("/cohort/report.pdf", {"sex": "female"})
    assert response.status_code == 200
    assert "Annual registry report" in pdf_text(response.content)
