"""The journey's record kinds in one table: URL slug, model, form, label, date and summary.

Views, the timeline and tests walk this table, so adding a record kind is one entry here (plus
its model and form).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models

from fusiontrack.core import vocab
from fusiontrack.registry import forms as f
from fusiontrack.registry import models as m


@dataclass(frozen=True)
class Kind:
    slug: str
    model: type[models.Model]
    form: type[forms.ModelForm]
    label: str
    date_field: str
    related_name: str
    summary: Callable[[Any], str]
    timeline_class: str = "event"


def _levels(code: str) -> str:
    return vocab.label(vocab.LEVELS, code)


def _operation(o: m.Operation) -> str:
    technique = "MIS" if o.technique == "mis" else "open"
    grafts = ", ".join(vocab.label(vocab.GRAFT_TYPES, g) for g in o.grafts or [])
    text = f"{o.get_approach_display()} {_levels(o.levels)} ({technique})"
    return f"{text}; graft: {grafts}" if grafts else text


def _complication(c: m.Complication) -> str:
    state = "resolved" if c.resolved else "unresolved"
    return (
        f"{c.get_category_display()} — Clavien–Dindo {c.clavien_dindo}; "
        f"reported by {c.get_reported_by_display().lower()}; {state}"
    )


def _stay(s: m.HospitalStay) -> str:
    if s.discharge_date is None:
        return "Admitted (not yet discharged)"
    return f"Discharged to {s.get_destination_display().lower()} after {s.length_of_stay_days} d"


KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind(
            "diagnosis",
            m.Diagnosis,
            f.DiagnosisForm,
            "Diagnosis",
            "diagnosed_on",
            "diagnoses",
            lambda d: (
                f"{d.get_diagnosis_display()} {_levels(d.levels)}"
                + (f", Meyerding {d.meyerding_grade}" if d.meyerding_grade else "")
            ),
        ),
        Kind(
            "imaging",
            m.ImagingStudy,
            f.ImagingStudyForm,
            "Imaging study",
            "study_date",
            "imaging_studies",
            lambda i: (
                f"{i.get_modality_display()}" + (f": {i.findings[:80]}" if i.findings else "")
            ),
        ),
        Kind(
            "conservative-care",
            m.ConservativeTreatment,
            f.ConservativeTreatmentForm,
            "Conservative care",
            "start_date",
            "conservative_treatments",
            lambda c: f"{c.get_treatment_display()} — {c.get_response_display().lower()}",
        ),
        Kind(
            "decision",
            m.SurgicalDecision,
            f.SurgicalDecisionForm,
            "Surgical decision",
            "decision_date",
            "surgical_decisions",
            lambda d: d.indication[:100],
        ),
        Kind(
            "preop",
            m.PreoperativeAssessment,
            f.PreoperativeAssessmentForm,
            "Pre-operative assessment",
            "assessment_date",
            "preoperative_assessments",
            lambda p: (
                (f"ASA {p.asa_class}, " if p.asa_class else "")
                + (f"BMI {p.bmi}, " if p.bmi else "")
                + ("cleared" if p.cleared else "not yet cleared")
            ),
        ),
        Kind(
            "operation",
            m.Operation,
            f.OperationForm,
            "Operation",
            "operation_date",
            "operations",
            _operation,
            "milestone",
        ),
        Kind(
            "stay",
            m.HospitalStay,
            f.HospitalStayForm,
            "Hospital stay",
            "admission_date",
            "hospital_stays",
            _stay,
        ),
        Kind(
            "complication",
            m.Complication,
            f.ComplicationForm,
            "Complication",
            "occurred_on",
            "complications",
            _complication,
            "warning",
        ),
        Kind(
            "reoperation",
            m.Reoperation,
            f.ReoperationForm,
            "Reoperation",
            "reoperation_date",
            "reoperations",
            lambda r: f"{r.reason} ({_levels(r.levels)})",
            "warning",
        ),
        Kind(
            "fusion",
            m.FusionAssessment,
            f.FusionAssessmentForm,
            "Fusion assessment",
            "assessment_date",
            "fusion_assessments",
            lambda a: (
                f"{a.get_judgement_display()} on {a.get_modality_display()}"
                + (f", Bridwell {a.bridwell_grade}" if a.bridwell_grade else "")
            ),
        ),
        Kind(
            "work",
            m.ReturnToWork,
            f.ReturnToWorkForm,
            "Work status",
            "recorded_on",
            "work_records",
            lambda w: (
                w.get_work_status_display()
                + (f" (returned {w.returned_on:%d %b %Y})" if w.returned_on else "")
            ),
        ),
    )
}


def get_kind(slug: str) -> Kind:
    from django.http import Http404

    try:
        return KINDS[slug]
    except KeyError:
        raise Http404("No such record type.") from None
