"""De-identified export (issue 6 §5, checklist G1–G6) and consent withdrawal (§4)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from fusiontrack.registry.models import (
    AuditEvent,
    Complication,
    Episode,
    Operation,
    Patient,
    QuestionnaireResponse,
)
from fusiontrack.security.cli import export_group
from fusiontrack.security.export import unclassified_fields, write_export
from tests.conftest import build_patient

pytestmark = pytest.mark.django_db

#: The export's date: fixed, far enough ahead that every fixture date lies before it.
AS_OF = dt.date(2030, 1, 1)
ISO_DATE = re.compile(rb"\b(19|20)\d\d-[01]\d-[0-3]\d\b")


@pytest.fixture
def cohort(personas, today):  # type: ignore[no-untyped-def]
    """Ingrid (consented), Walter (95, consented), Vera (withdrew), Nils (no research consent)."""
    made = {}
    for mrn, given, family, born in (
        ("N-7734X", "Ingrid", "Zephyrine", dt.date(1961, 4, 12)),
        ("N-9000W", "Walter", "Quaintrell", dt.date(1930, 1, 2)),
        ("N-5550V", "Vera", "Olofsdottir", dt.date(1970, 7, 7)),
        ("N-4440N", "Nils", "Brannstrom", dt.date(1975, 3, 3)),
    ):
        record = build_patient(
            personas.north, personas.sofia, mrn=mrn, given=given, family=family, today=today
        )
        Patient.objects.filter(pk=record.patient.pk).update(
            date_of_birth=born,
            email=f"{given.lower()}@example.org",
            phone=f"+46 70 555 {mrn[2:6]}",
            consent_research=given != "Nils",
            consent_research_date=today - dt.timedelta(days=500),
            consent_withdrawn_date=today - dt.timedelta(days=3) if given == "Vera" else None,
        )
        Complication.objects.create(
            episode=record.episode,
            occurred_on=today - dt.timedelta(days=390),
            category="durotomy",
            clavien_dindo="I",
            description=f"{given} {family} told Dr Lind on +46 70 555 0101",
        )
        Operation.objects.filter(pk=record.operation.pk).update(notes=f"MRN {mrn} noted")
        made[given] = record
    return made


def _identifiers() -> list[str]:
    """Every identifying value in the source database (names, contacts, MRNs, free text)."""
    values: list[str] = []
    for p in Patient.objects.all():
        values += [p.mrn, p.given_name, p.family_name, p.email, p.phone]
    values += list(Complication.objects.values_list("description", flat=True))
    values += list(Operation.objects.values_list("notes", flat=True))
    values += ["Lind", "sofia", "0101"]
    return [v for v in values if v]


def _all_text(directory: Path) -> str:
    parts = [
        f.read_text(encoding="utf-8") for f in directory.rglob("*") if f.suffix in (".csv", ".txt")
    ]
    for parquet in directory.rglob("*.parquet"):
        parts.append(pd.read_parquet(parquet).astype(str).to_csv(index=False))
    return "\n".join(parts)


def _rows(directory: Path, table: str) -> list[dict[str, str]]:
    with (directory / f"{table}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_exported_model_field_is_classified():
    assert unclassified_fields() == []


def test_safe_harbor_export_contains_no_identifier_from_the_database(cohort, tmp_path):
    out = tmp_path / "export"
    result = write_export(out, as_of=AS_OF)
    text = _all_text(out)
    found = [v for v in _identifiers() if v in text]
    assert found == []
    # No full date anywhere in the data files (only years and day intervals).
    for data in out.glob("*.csv"):
        if data.name != "data_dictionary.csv":
            assert not ISO_DATE.search(data.read_bytes()), data.name
    # DOBs as other spellings.
    for p in Patient.objects.all():
        assert p.date_of_birth.strftime("%d/%m/%Y") not in text
    assert result.rows["patients"] == 2  # Vera withdrew, Nils gave no research consent
    assert (out / "parquet" / "scores.parquet").exists()
    assert (out / "data_dictionary.csv").exists()


def test_ages_over_89_are_grouped_and_their_birth_year_withheld(cohort, tmp_path):
    write_export(tmp_path / "x", as_of=AS_OF)
    patients = {r["study_id"]: r for r in _rows(tmp_path / "x", "patients")}
    episodes = _rows(tmp_path / "x", "episodes")
    ages = sorted(e["age_at_index"] for e in episodes)
    assert "90+" in ages
    walter = next(e for e in episodes if e["age_at_index"] == "90+")
    assert patients[walter["study_id"]]["birth_year"] == ""
    ingrid = next(e for e in episodes if e["age_at_index"] != "90+")
    assert patients[ingrid["study_id"]]["birth_year"] == "1961"


def test_dates_become_days_from_surgery(cohort, tmp_path, today):
    write_export(tmp_path / "x", as_of=AS_OF)
    episodes = _rows(tmp_path / "x", "episodes")
    surgery = today - dt.timedelta(days=400)
    assert {e["index_event"] for e in episodes} == {"surgery"}
    assert {e["index_year"] for e in episodes} == {str(surgery.year)}
    assert {e["surgery_day"] for e in episodes} == {"0"}
    complications = _rows(tmp_path / "x", "complications")
    assert {c["occurred_day"] for c in complications} == {"10"}  # 390 days ago vs 400
    scores = _rows(tmp_path / "x", "scores")
    baseline = {s["responded_day"] for s in scores if s["timepoint"] == "baseline"}
    assert baseline == {"-10"}
    assert "description" not in complications[0]


def test_study_ids_are_random_and_new_on_every_export(cohort, tmp_path):
    write_export(tmp_path / "a", as_of=AS_OF)
    write_export(tmp_path / "b", as_of=AS_OF)
    first = {r["study_id"] for r in _rows(tmp_path / "a", "patients")}
    second = {r["study_id"] for r in _rows(tmp_path / "b", "patients")}
    assert not first & second
    mrns = {p.mrn for p in Patient.objects.all()}
    assert all(s.startswith("S") and len(s) == 13 and s not in mrns for s in first)


def test_limited_data_set_shifts_every_date_of_a_patient_by_one_offset(cohort, tmp_path, today):
    write_export(tmp_path / "lds", limited_data_set=True, as_of=AS_OF)
    surgery = today - dt.timedelta(days=400)
    episodes = _rows(tmp_path / "lds", "episodes")
    complications = {c["study_id"]: c for c in _rows(tmp_path / "lds", "complications")}
    scores = _rows(tmp_path / "lds", "scores")
    offsets = set()
    for episode in episodes:
        shifted = dt.date.fromisoformat(episode["surgery_date_shifted"])
        offset = (shifted - surgery).days
        assert offset != 0 and abs(offset) <= 180
        offsets.add(offset)
        complication = complications[episode["study_id"]]
        moved = dt.date.fromisoformat(complication["occurred_on_shifted"])
        assert (moved - shifted).days == 10  # the interval survives the shift
        for s in (s for s in scores if s["study_id"] == episode["study_id"]):
            assert (dt.date.fromisoformat(s["responded_on_shifted"]) - shifted).days == int(
                s["responded_day"]
            )
    assert len(offsets) == 2  # one offset per patient (random; equal by chance ~1/360)
    text = _all_text(tmp_path / "lds")
    assert [v for v in _identifiers() if v in text] == []


def test_every_export_is_audited_with_fields_and_row_counts(cohort, tmp_path):
    write_export(tmp_path / "x", as_of=AS_OF)
    event = AuditEvent.objects.get(action="export")
    assert event.object_type == "deidentified_export"
    assert event.detail["rows"]["patients"] == 2
    assert "occurred_day" in event.detail["fields"]["complications"]
    assert event.detail["excluded_patients"] == 2


def test_withdrawing_consent_removes_a_patient_from_the_next_export(cohort, tmp_path, today):
    write_export(tmp_path / "before", as_of=AS_OF)
    Patient.objects.filter(given_name="Ingrid").update(consent_withdrawn_date=today)
    write_export(tmp_path / "after", as_of=AS_OF)
    assert len(_rows(tmp_path / "before", "patients")) == 2
    assert len(_rows(tmp_path / "after", "patients")) == 1
    ingrid = Patient.objects.get(given_name="Ingrid")
    n_scores = sum(1 for _ in _rows(tmp_path / "after", "scores"))
    assert n_scores < sum(1 for _ in _rows(tmp_path / "before", "scores"))
    assert Episode.objects.filter(patient=ingrid).exists()  # the registry keeps the record
    assert QuestionnaireResponse.objects.filter(patient=ingrid).exists()


def test_cli_writes_the_export_and_refuses_a_non_empty_directory(cohort, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(export_group, ["deidentified", "-o", str(tmp_path / "cli")])
    assert ok.exit_code == 0, ok.output
    assert "patients: 2 rows" in ok.output
    again = runner.invoke(export_group, ["deidentified", "-o", str(tmp_path / "cli")])
    assert again.exit_code == 1 and "not empty" in again.output


def test_consent_rule_is_configurable_for_registry_only_consent(cohort, tmp_path, settings):
    from fusiontrack.security.consent import research_patients

    assert sorted(p.given_name for p in research_patients()) == ["Ingrid", "Walter"]
    settings.FUSIONTRACK_EXPORT_REQUIRES_RESEARCH_CONSENT = False
    assert sorted(p.given_name for p in research_patients()) == ["Ingrid", "Nils", "Walter"]
    write_export(tmp_path / "x", as_of=AS_OF)
    assert len(_rows(tmp_path / "x", "patients")) == 3  # Vera withdrew: never exported


def test_a_birth_year_that_shows_an_age_of_90_on_the_export_day_is_withheld(cohort, tmp_path):
    """Ingrid is 88 at her operation but 90 on the export day: her birth year would tell."""
    ingrid = cohort["Ingrid"]
    surgery = ingrid.episode.surgery_date
    Patient.objects.filter(pk=ingrid.patient.pk).update(
        date_of_birth=dt.date(surgery.year - 89, surgery.month, min(surgery.day, 28))
        + dt.timedelta(days=30)
    )
    write_export(tmp_path / "x", as_of=surgery + dt.timedelta(days=2 * 366))
    episodes = {e["study_id"]: e for e in _rows(tmp_path / "x", "episodes")}
    rows = {r["study_id"]: r for r in _rows(tmp_path / "x", "patients")}
    ages = {sid: episodes[sid]["age_at_index"] for sid in rows}
    assert sorted(ages.values()) == ["88", "90+"]
    assert all(r["birth_year"] == "" for r in rows.values())
