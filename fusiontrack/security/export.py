"""De-identified research export (issue 6 §5): HIPAA Safe Harbor, or a limited data set.

Safe Harbor (45 CFR 164.514(b)(2)) by default:

* names, contact details, MRNs, addresses, staff, database ids and every free-text field are
  not exported (``POLICY`` tags every field of every exported model; a test fails when a model
  gains a field nobody has classified);
* each patient gets a random study id (``secrets``, not derived from anything about them, and
  the mapping is not written anywhere: 164.514(c));
* every date becomes a whole number of days relative to the episode's index date (the
  operation, else the planned operation, else the day the episode opened); only the index
  year and the birth year are kept;
* ages over 89 become "90+" and their birth year is withheld (164.514(b)(2)(i)(C)).

``limited_data_set=True`` additionally writes every date shifted by a random whole number of
days per patient, the same for all of that patient's dates (so intervals are unchanged). That is
a limited data set (164.514(e)), to be released only under a data use agreement; the offsets are
never written out.

Consent: patients who withdrew consent are always left out; without research consent they are
left out too unless ``FUSIONTRACK_EXPORT_REQUIRES_RESEARCH_CONSENT`` is off.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models

from fusiontrack.registry import audit
from fusiontrack.registry.models import (
    Complication,
    ConservativeTreatment,
    Diagnosis,
    Episode,
    FusionAssessment,
    HospitalStay,
    ImagingStudy,
    Operation,
    Patient,
    PreoperativeAssessment,
    QuestionnaireResponse,
    Reoperation,
    ReturnToWork,
    Score,
    SurgicalDecision,
)
from fusiontrack.security.consent import research_patients
from fusiontrack.security.csvsafe import neutralise_row

KEEP, DATE, DROP = "keep", "date", "drop"
#: Dropped because the field identifies someone, is free text, or is an internal id/bookkeeping.
ID, TEXT, INTERNAL = "identifier", "free text", "internal"
#: Days a limited-data-set date may move, either way (OHDSI practice is ±60 days; REDCap shifts
#: 0–364). SOURCE: Hripcsak et al., JAMIA 2016 (shift-and-truncate), see shared notes §1.5.
MAX_SHIFT_DAYS = 180
AGE_CAP = 90  # "ages over 89 ... aggregated into a single category of age 90 or older"

_BOOKKEEPING = {
    "id": (DROP, INTERNAL),
    "created_at": (DROP, INTERNAL),
    "updated_at": (DROP, INTERNAL),
    "version": (DROP, INTERNAL),
}
_EPISODE_LINK = {"episode": (DROP, INTERNAL)}

#: Every concrete field of every exported model: (treatment, why when dropped).
POLICY: dict[type[models.Model], dict[str, tuple[str, str]]] = {
    Patient: {
        **_BOOKKEEPING,
        "site": (KEEP, ""),
        "mrn": (DROP, ID),
        "given_name": (DROP, ID),
        "family_name": (DROP, ID),
        "date_of_birth": (DROP, ID),  # exported as birth_year / age_at_index
        "sex": (KEEP, ""),
        "email": (DROP, ID),
        "phone": (DROP, ID),
        "preferred_language": (KEEP, ""),
        "consent_registry": (DROP, INTERNAL),
        "consent_registry_date": (DROP, INTERNAL),
        "consent_research": (DROP, INTERNAL),
        "consent_research_date": (DROP, INTERNAL),
        "consent_withdrawn_date": (DROP, INTERNAL),
    },
    Episode: {
        **_BOOKKEEPING,
        "patient": (DROP, INTERNAL),
        "site": (DROP, INTERNAL),
        "title": (DROP, TEXT),
        "stage": (KEEP, ""),
        "stage_entered_on": (DATE, ""),
        "opened_on": (DATE, ""),
        "surgery_date": (DATE, ""),
        "planned_surgery_date": (DATE, ""),
        "surgeon": (DROP, ID),
        "withdrawn_reason": (DROP, TEXT),
    },
    Diagnosis: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "diagnosis": (KEEP, ""),
        "is_primary": (KEEP, ""),
        "meyerding_grade": (KEEP, ""),
        "levels": (KEEP, ""),
        "diagnosed_on": (DATE, ""),
        "symptom_duration_months": (KEEP, ""),
        "pain_dominance": (KEEP, ""),
        "notes": (DROP, TEXT),
    },
    ImagingStudy: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "modality": (KEEP, ""),
        "study_date": (DATE, ""),
        "findings": (DROP, TEXT),
    },
    ConservativeTreatment: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "treatment": (KEEP, ""),
        "start_date": (DATE, ""),
        "end_date": (DATE, ""),
        "response": (KEEP, ""),
        "notes": (DROP, TEXT),
    },
    SurgicalDecision: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "decision_date": (DATE, ""),
        "indication": (DROP, TEXT),
        "conservative_care_weeks": (KEEP, ""),
        "imaging_concordant": (KEEP, ""),
        "shared_decision_documented": (KEEP, ""),
        "decided_by": (DROP, ID),
        "notes": (DROP, TEXT),
    },
    PreoperativeAssessment: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "assessment_date": (DATE, ""),
        "asa_class": (KEEP, ""),
        "height_cm": (KEEP, ""),
        "weight_kg": (KEEP, ""),
        "bmi": (KEEP, ""),
        "smoking": (KEEP, ""),
        "diabetes": (KEEP, ""),
        "hba1c_percent": (KEEP, ""),
        "bone_density_t_score": (KEEP, ""),
        "anticoagulant": (KEEP, ""),
        "antiplatelet": (KEEP, ""),
        "medications": (DROP, TEXT),
        "labs": (DROP, TEXT),
        "cleared": (KEEP, ""),
        "cleared_on": (DATE, ""),
        "notes": (DROP, TEXT),
    },
    Operation: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "operation_date": (DATE, ""),
        "surgeon": (DROP, ID),
        "levels": (KEEP, ""),
        "approach": (KEEP, ""),
        "technique": (KEEP, ""),
        "decompression": (KEEP, ""),
        "grafts": (KEEP, ""),
        "pedicle_screws": (KEEP, ""),
        "rods": (KEEP, ""),
        "interbody_cage": (KEEP, ""),
        "cage_material": (KEEP, ""),
        "navigation": (KEEP, ""),
        "robot": (KEEP, ""),
        "duration_minutes": (KEEP, ""),
        "blood_loss_ml": (KEEP, ""),
        "intraoperative_complications": (DROP, TEXT),
        "notes": (DROP, TEXT),
    },
    HospitalStay: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "admission_date": (DATE, ""),
        "discharge_date": (DATE, ""),
        "length_of_stay_days": (KEEP, ""),
        "destination": (KEEP, ""),
    },
    Complication: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "occurred_on": (DATE, ""),
        "category": (KEEP, ""),
        "clavien_dindo": (KEEP, ""),
        "reported_by": (KEEP, ""),
        "intraoperative": (KEEP, ""),
        "resolved": (KEEP, ""),
        "resolved_on": (DATE, ""),
        "description": (DROP, TEXT),
    },
    Reoperation: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "reoperation_date": (DATE, ""),
        "reason": (DROP, TEXT),
        "levels": (KEEP, ""),
        "notes": (DROP, TEXT),
    },
    FusionAssessment: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "assessment_date": (DATE, ""),
        "modality": (KEEP, ""),
        "bridwell_grade": (KEEP, ""),
        "segmental_motion_degrees": (KEEP, ""),
        "judgement": (KEEP, ""),
        "notes": (DROP, TEXT),
    },
    ReturnToWork: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "recorded_on": (DATE, ""),
        "work_status": (KEEP, ""),
        "returned_on": (DATE, ""),
        "notes": (DROP, TEXT),
    },
    QuestionnaireResponse: {
        **_BOOKKEEPING,
        **_EPISODE_LINK,
        "patient": (DROP, INTERNAL),
        "site": (DROP, INTERNAL),
        "follow_up": (DROP, INTERNAL),
        "instrument_id": (KEEP, ""),
        "instrument_version": (KEEP, ""),
        "timepoint": (KEEP, ""),
        "responded_on": (DATE, ""),
        "answers": (DROP, TEXT),
        "scores": (DROP, INTERNAL),
        "complete": (KEEP, ""),
        "incomplete_reason": (DROP, TEXT),
        "entry_mode": (KEEP, ""),
        "entered_by": (DROP, ID),
    },
    Score: {
        "id": (DROP, INTERNAL),
        "response": (DROP, INTERNAL),
        "patient": (DROP, INTERNAL),
        "episode": (DROP, INTERNAL),
        "site": (DROP, INTERNAL),
        "instrument_id": (KEEP, ""),
        "timepoint": (KEEP, ""),
        "measure": (KEEP, ""),
        "value": (KEEP, ""),
        "responded_on": (DATE, ""),
    },
}

#: Episode-level tables: file name -> model.
RECORD_TABLES: dict[str, type[models.Model]] = {
    "diagnoses": Diagnosis,
    "imaging_studies": ImagingStudy,
    "conservative_treatments": ConservativeTreatment,
    "surgical_decisions": SurgicalDecision,
    "preoperative_assessments": PreoperativeAssessment,
    "operations": Operation,
    "hospital_stays": HospitalStay,
    "complications": Complication,
    "reoperations": Reoperation,
    "fusion_assessments": FusionAssessment,
    "return_to_work": ReturnToWork,
    "questionnaire_responses": QuestionnaireResponse,
    "scores": Score,
}


class ExportError(Exception):
    """The export cannot be written (bad directory)."""


@dataclass
class ExportResult:
    mode: str
    rows: dict[str, int] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    excluded_patients: int = 0


@dataclass
class _Subject:
    study_id: str
    shift: dt.timedelta


@dataclass
class _EpisodeIndex:
    key: str
    study_id: str
    index: dt.date
    shift: dt.timedelta


def kept(model: type[models.Model]) -> list[tuple[str, str]]:
    """[(field attname, treatment)] exported for ``model``, in model order."""
    policy = POLICY[model]
    out = []
    for f in model._meta.concrete_fields:
        treatment, _ = policy[f.name]
        if treatment != DROP:
            out.append((f.attname, treatment))
    return out


def unclassified_fields() -> list[str]:
    """Fields of exported models that ``POLICY`` does not mention (must be empty)."""
    return [
        f"{model.__name__}.{f.name}"
        for model, policy in POLICY.items()
        for f in model._meta.concrete_fields
        if f.name not in policy
    ]


def _eligible_patients() -> models.QuerySet[Patient]:
    return research_patients()


def _study_id() -> str:
    return "S" + secrets.token_hex(6).upper()


def _shift() -> dt.timedelta:
    days = 0
    while days == 0:
        days = secrets.randbelow(2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS
    return dt.timedelta(days=days)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return int(value)
    return value


def _date_columns(
    name: str, value: dt.date | None, ep: _EpisodeIndex, limited: bool
) -> dict[str, Any]:
    base = name.removesuffix("_date").removesuffix("_on")
    out: dict[str, Any] = {f"{base}_day": (value - ep.index).days if value else None}
    if limited:
        out[f"{name}_shifted"] = (value + ep.shift).isoformat() if value else None
    return out


class _Writer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.frames: dict[str, list[dict[str, Any]]] = {}

    def add(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        self.frames.setdefault(table, []).extend(rows)

    def write(self, columns: dict[str, list[str]]) -> dict[str, int]:
        counts = {}
        for table, rows in self.frames.items():
            cols = columns[table]
            with (self.directory / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(cols)
                for row in rows:
                    writer.writerow(neutralise_row([_cell(row.get(c)) for c in cols]))
            counts[table] = len(rows)
        self._parquet(columns)
        return counts

    def _parquet(self, columns: dict[str, list[str]]) -> None:
        try:
            import pandas as pd
            import pyarrow  # noqa: F401
        except ImportError:  # optional: CSV is the primary format
            return
        folder = self.directory / "parquet"
        folder.mkdir()
        for table, rows in self.frames.items():
            frame = pd.DataFrame(
                [{c: _cell(r.get(c)) for c in columns[table]} for r in rows], columns=columns[table]
            )
            frame = frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object})
            frame.to_parquet(folder / f"{table}.parquet", index=False)


def write_export(
    directory: Path, *, as_of: dt.date, limited_data_set: bool = False
) -> ExportResult:
    """Write the export into ``directory`` (created; must be empty) and audit it.

    ``as_of`` is the export's date (the clinic's today): ages on that day decide whether a
    birth year may be shown."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise ExportError(f"{directory} is not empty; choose a new directory for the export.")
    directory.mkdir(parents=True, exist_ok=True)
    mode = "limited data set (dates shifted per patient)" if limited_data_set else "safe harbor"
    result = ExportResult(mode=mode)
    result.excluded_patients = Patient.objects.count() - _eligible_patients().count()

    subjects: dict[int, _Subject] = {}
    patient_rows = []
    born: dict[int, dt.date] = {}
    for p in _eligible_patients().select_related("site").order_by("?"):
        subjects[p.pk] = _Subject(_study_id(), _shift())
        born[p.pk] = p.date_of_birth
        patient_rows.append(
            {
                "study_id": subjects[p.pk].study_id,
                "site": p.site.code,
                "sex": p.sex,
                "preferred_language": p.preferred_language,
            }
        )

    episodes: dict[int, _EpisodeIndex] = {}
    episode_rows = []
    aged_90: set[int] = set()
    for e in Episode.objects.filter(patient_id__in=subjects).order_by("?"):
        subject = subjects[e.patient_id]
        index = e.surgery_date or e.planned_surgery_date or e.opened_on
        kind = (
            "surgery"
            if e.surgery_date
            else "planned_surgery"
            if e.planned_surgery_date
            else "episode_opened"
        )
        ep = _EpisodeIndex(
            "E" + secrets.token_hex(6).upper(), subject.study_id, index, subject.shift
        )
        episodes[e.pk] = ep
        age = _age(born[e.patient_id], index)
        age_cell: Any = f"{AGE_CAP}+" if age >= AGE_CAP else age
        if age >= AGE_CAP:
            aged_90.add(e.patient_id)
        row: dict[str, Any] = {
            "study_id": subject.study_id,
            "episode_key": ep.key,
            "index_event": kind,
            "index_year": index.year,
            "age_at_index": age_cell,
            "stage": e.stage,
        }
        for name in ("opened_on", "stage_entered_on", "surgery_date", "planned_surgery_date"):
            row.update(_date_columns(name, getattr(e, name), ep, limited_data_set))
        if limited_data_set:
            row["index_date_shifted"] = (index + ep.shift).isoformat()
        episode_rows.append(row)

    for row, pk in zip(patient_rows, subjects, strict=True):
        # The birth year is withheld when it would show an age of 90 or more: at any
        # episode's day 0, or on the day of the export.
        old = pk in aged_90 or _age(born[pk], as_of) >= AGE_CAP
        row["birth_year"] = None if old else born[pk].year
        if limited_data_set and not old:
            row["date_of_birth_shifted"] = (born[pk] + subjects[pk].shift).isoformat()

    writer = _Writer(directory)
    writer.add("patients", patient_rows)
    writer.add("episodes", episode_rows)
    result.columns["patients"] = ["study_id", "site", "sex", "birth_year", "preferred_language"]
    if limited_data_set:
        result.columns["patients"].append("date_of_birth_shifted")
    result.columns["episodes"] = (
        list(episode_rows[0])
        if episode_rows
        else ["study_id", "episode_key", "index_event", "index_year", "age_at_index", "stage"]
    )

    for table, model in RECORD_TABLES.items():
        fields = kept(model)
        rows = []
        qs = model._default_manager.filter(episode_id__in=episodes).values(
            "episode_id", *[f for f, _ in fields]
        )
        for values in qs.iterator(chunk_size=5000):
            ep = episodes[values["episode_id"]]
            row = {"study_id": ep.study_id, "episode_key": ep.key}
            for name, treatment in fields:
                if treatment == DATE:
                    row.update(_date_columns(name, values[name], ep, limited_data_set))
                else:
                    row[name] = values[name]
            rows.append(row)
        writer.add(table, rows)
        cols = ["study_id", "episode_key"]
        for name, treatment in fields:
            if treatment == DATE:
                base = name.removesuffix("_date").removesuffix("_on")
                cols.append(f"{base}_day")
                if limited_data_set:
                    cols.append(f"{name}_shifted")
            else:
                cols.append(name)
        result.columns[table] = cols

    result.rows = writer.write(result.columns)
    _write_dictionary(directory, result, limited_data_set)
    audit.record_event(
        None,
        "export",
        "deidentified_export",
        username=f"cli:{getpass.getuser()}"[:150],
        detail={
            "mode": mode,
            "rows": result.rows,
            "fields": result.columns,
            "excluded_patients": result.excluded_patients,
            "directory": str(directory.resolve()),
        },
    )
    return result


def _describe(table: str, column: str) -> tuple[str, str]:
    fixed = {
        "study_id": ("string", "Random study id of the patient, new on every export."),
        "episode_key": ("string", "Random id of the episode within this export."),
        "index_event": ("category", "What day 0 is: surgery, planned_surgery or episode_opened."),
        "index_year": ("integer", "Calendar year of day 0."),
        "age_at_index": ("integer or '90+'", "Age in whole years on day 0; 90 and over grouped."),
        "birth_year": ("integer", "Year of birth; empty when the patient is 90 or older."),
        "site": ("category", "Code of the contributing site."),
    }
    if column in fixed:
        return fixed[column]
    if column.endswith("_day"):
        return ("integer", "Days from day 0 of the episode (negative: before).")
    if column.endswith("_shifted"):
        return ("date", "Date shifted by this patient's secret offset (limited data set only).")
    return ("as in the registry", f"Registry field {table}.{column}, unchanged.")


def _write_dictionary(directory: Path, result: ExportResult, limited: bool) -> None:
    with (directory / "data_dictionary.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["table", "column", "type", "description"])
        for table, cols in result.columns.items():
            for col in cols:
                writer.writerow([table, col, *_describe(table, col)])
        writer.writerow([])
        writer.writerow(["model", "field", "treatment", "why"])
        for model, policy in POLICY.items():
            for name, (treatment, why) in policy.items():
                if treatment == DROP:
                    writer.writerow([model.__name__, name, "removed", why])
                elif treatment == DATE:
                    writer.writerow(
                        [
                            model.__name__,
                            name,
                            "days from index" + (" + shifted date" if limited else ""),
                            "",
                        ]
                    )
    (directory / "README.txt").write_text(
        f"fusiontrack de-identified export — {result.mode}\n"
        f"Patients left out (consent withdrawn or no research consent): "
        f"{result.excluded_patients}\n"
        "Identifiers of 45 CFR 164.514(b)(2) removed; see data_dictionary.csv for every field.\n"
        + (
            "LIMITED DATA SET: release only under a data use agreement (164.514(e)).\n"
            if limited
            else ""
        ),
        encoding="utf-8",
    )
