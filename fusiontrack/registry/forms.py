"""Forms for every record type: validation at the boundary, messages that say what to do.

Edit forms carry the record's ``version`` (hidden) so a stale save becomes a clear conflict.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.contrib.auth import get_user_model

from fusiontrack.core import vocab
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
    Reoperation,
    ReturnToWork,
    SurgicalDecision,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})
SPONDYLOLISTHESIS = {"degenerative_spondylolisthesis", "isthmic_spondylolisthesis"}


def _date_widgets(model: Any) -> dict[str, forms.Widget]:
    widgets: dict[str, forms.Widget] = {}
    for field in model._meta.get_fields():
        internal = getattr(field, "get_internal_type", lambda: "")()
        if internal == "DateField":
            widgets[field.name] = DATE
        elif internal == "TextField":
            widgets[field.name] = TEXT
    return widgets


class RecordForm(forms.ModelForm):
    """Base: a hidden version for optimistic concurrency; dates not in the far future."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, as_of: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def _not_after(self, a: str, b: str, message: str) -> None:
        first, second = self.cleaned_data.get(a), self.cleaned_data.get(b)
        if first and second and second < first:
            self.add_error(b, message)

    def _not_future(self, name: str) -> None:
        value = self.cleaned_data.get(name)
        if value and self.as_of and value > self.as_of + dt.timedelta(days=1):
            self.add_error(name, "This date is in the future; record events once they happen.")


class PatientForm(RecordForm):
    class Meta:
        model = Patient
        fields = (
            "mrn",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "email",
            "phone",
            "preferred_language",
            "consent_registry",
            "consent_registry_date",
            "consent_research",
            "consent_research_date",
            "consent_withdrawn_date",
        )
        widgets = _date_widgets(Patient)

    def __init__(self, *args: Any, site_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site_id = site_id if site_id is not None else self.instance.site_id

    def clean_mrn(self) -> str:
        mrn = self.cleaned_data["mrn"].strip()
        clash = Patient.objects.filter(site_id=self.site_id, mrn=mrn).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another patient at this site already has this MRN.")
        return mrn

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._not_future("date_of_birth")
        for flag, day in (
            ("consent_registry", "consent_registry_date"),
            ("consent_research", "consent_research_date"),
        ):
            if data.get(flag) and not data.get(day):
                self.add_error(day, "Give the date consent was given.")
        return data


class EpisodeForm(RecordForm):
    class Meta:
        model = Episode
        fields = ("title", "opened_on", "surgeon", "planned_surgery_date")
        widgets = _date_widgets(Episode)

    def __init__(self, *args: Any, site_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_id = site_id if site_id is not None else self.instance.site_id
        self.fields["surgeon"].queryset = get_user_model().objects.filter(
            memberships__site_id=site_id, memberships__role="surgeon"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._not_future("opened_on")
        return data


class StageForm(forms.Form):
    stage = forms.ChoiceField(
        choices=vocab.EPISODE_STAGES, widget=forms.Select(attrs={"aria-label": "New stage"})
    )
    entered_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date", "aria-label": "Since"}, format="%Y-%m-%d"),
        label="Since",
    )
    note = forms.CharField(
        max_length=300,
        required=False,
        help_text="Required when withdrawn.",
        widget=forms.TextInput(
            attrs={"aria-label": "Note (required when withdrawn)", "placeholder": "Note"}
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("stage") == "withdrawn" and not data.get("note"):
            self.add_error("note", "Say why the patient left the pathway.")
        return data


class DiagnosisForm(RecordForm):
    class Meta:
        model = Diagnosis
        fields = (
            "diagnosis",
            "is_primary",
            "meyerding_grade",
            "levels",
            "diagnosed_on",
            "symptom_duration_months",
            "pain_dominance",
            "notes",
        )
        widgets = _date_widgets(Diagnosis)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("meyerding_grade") and data.get("diagnosis") not in SPONDYLOLISTHESIS:
            self.add_error(
                "meyerding_grade", "A Meyerding grade applies to spondylolisthesis only."
            )
        if data.get("diagnosis") == "isthmic_spondylolisthesis" and not data.get("meyerding_grade"):
            self.add_error("meyerding_grade", "Give the Meyerding grade of the slip.")
        self._not_future("diagnosed_on")
        return data


class ImagingStudyForm(RecordForm):
    class Meta:
        model = ImagingStudy
        fields = ("modality", "study_date", "findings")
        widgets = _date_widgets(ImagingStudy)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._not_future("study_date")
        return data


class ConservativeTreatmentForm(RecordForm):
    class Meta:
        model = ConservativeTreatment
        fields = ("treatment", "start_date", "end_date", "response", "notes")
        widgets = _date_widgets(ConservativeTreatment)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._not_after("start_date", "end_date", "The end date is before the start date.")
        return data


class SurgicalDecisionForm(RecordForm):
    class Meta:
        model = SurgicalDecision
        fields = (
            "decision_date",
            "indication",
            "conservative_care_weeks",
            "imaging_concordant",
            "shared_decision_documented",
            "notes",
        )
        widgets = _date_widgets(SurgicalDecision)


class PreoperativeAssessmentForm(RecordForm):
    class Meta:
        model = PreoperativeAssessment
        fields = (
            "assessment_date",
            "asa_class",
            "height_cm",
            "weight_kg",
            "bmi",
            "smoking",
            "diabetes",
            "hba1c_percent",
            "bone_density_t_score",
            "anticoagulant",
            "antiplatelet",
            "medications",
            "labs",
            "cleared",
            "cleared_on",
            "notes",
        )
        widgets = _date_widgets(PreoperativeAssessment)

    # Plausibility ranges catch typing slips (cm vs m, % vs mmol/mol); they are not clinical
    # judgements.
    RANGES: ClassVar[dict[str, tuple[int, int, str]]] = {
        "height_cm": (100, 230, "Height is in centimetres (100–230)."),
        "weight_kg": (25, 300, "Weight is in kilograms (25–300)."),
        "bmi": (10, 80, "BMI must be between 10 and 80."),
        "hba1c_percent": (3, 20, "HbA1c is in % (3–20), not mmol/mol."),
        "bone_density_t_score": (-7, 5, "A T-score lies between −7 and +5."),
    }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, (low, high, message) in self.RANGES.items():
            value = data.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(name, message)
        height, weight = data.get("height_cm"), data.get("weight_kg")
        if data.get("bmi") is None and height and weight and "height_cm" not in self.errors:
            data["bmi"] = round(weight / ((height / 100) ** 2), 1)
        if data.get("cleared") and not data.get("cleared_on"):
            self.add_error("cleared_on", "Give the date of clearance.")
        return data

    def save(self, commit: bool = True) -> PreoperativeAssessment:
        self.instance.bmi = self.cleaned_data.get("bmi")
        return super().save(commit)


class OperationForm(RecordForm):
    grafts = forms.MultipleChoiceField(
        choices=vocab.GRAFT_TYPES, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Operation
        fields = (
            "operation_date",
            "surgeon",
            "levels",
            "approach",
            "technique",
            "decompression",
            "grafts",
            "pedicle_screws",
            "rods",
            "interbody_cage",
            "cage_material",
            "navigation",
            "robot",
            "duration_minutes",
            "blood_loss_ml",
            "intraoperative_complications",
            "notes",
        )
        widgets = _date_widgets(Operation)
        labels: ClassVar[dict[str, str]] = {"duration_minutes": "Duration (minutes)"}

    def __init__(self, *args: Any, site_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["surgeon"].queryset = get_user_model().objects.filter(
            memberships__site_id=site_id, memberships__role="surgeon"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("interbody_cage") and not data.get("cage_material"):
            self.add_error("cage_material", "Give the cage material.")
        if data.get("approach") in {"tlif", "plif", "alif", "llif", "olif"} and not data.get(
            "interbody_cage"
        ):
            self.add_error("interbody_cage", "An interbody fusion approach places a cage.")
        duration = data.get("duration_minutes")
        if duration is not None and not 10 <= duration <= 1440:
            self.add_error("duration_minutes", "Duration is in minutes (10–1440).")
        blood = data.get("blood_loss_ml")
        if blood is not None and blood > 20000:
            self.add_error("blood_loss_ml", "Blood loss is in millilitres (0–20000).")
        self._not_future("operation_date")
        return data


class HospitalStayForm(RecordForm):
    class Meta:
        model = HospitalStay
        fields = ("admission_date", "discharge_date", "destination")
        widgets = _date_widgets(HospitalStay)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._not_after("admission_date", "discharge_date", "Discharge is before admission.")
        if data.get("discharge_date") and not data.get("destination"):
            self.add_error("destination", "Give the discharge destination.")
        return data


class ComplicationForm(RecordForm):
    class Meta:
        model = Complication
        fields = (
            "occurred_on",
            "category",
            "clavien_dindo",
            "reported_by",
            "intraoperative",
            "resolved",
            "resolved_on",
            "description",
        )
        widgets = _date_widgets(Complication)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._not_after("occurred_on", "resolved_on", "Resolution is before the complication.")
        if data.get("resolved_on") and not data.get("resolved"):
            data["resolved"] = True
        if data.get("category") == "other" and not data.get("description"):
            self.add_error("description", "Describe the complication.")
        self._not_future("occurred_on")
        return data

    def save(self, commit: bool = True) -> Complication:
        self.instance.resolved = self.cleaned_data.get("resolved", False)
        return super().save(commit)


class ReoperationForm(RecordForm):
    class Meta:
        model = Reoperation
        fields = ("reoperation_date", "reason", "levels", "notes")
        widgets = _date_widgets(Reoperation)


class FusionAssessmentForm(RecordForm):
    class Meta:
        model = FusionAssessment
        fields = (
            "assessment_date",
            "modality",
            "bridwell_grade",
            "segmental_motion_degrees",
            "judgement",
            "notes",
        )
        widgets = _date_widgets(FusionAssessment)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        motion = data.get("segmental_motion_degrees")
        if motion is not None and not 0 <= motion <= 30:
            self.add_error("segmental_motion_degrees", "Segmental motion is in degrees (0–30).")
        return data


class ReturnToWorkForm(RecordForm):
    class Meta:
        model = ReturnToWork
        fields = ("recorded_on", "work_status", "returned_on", "notes")
        widgets = _date_widgets(ReturnToWork)


class QuestionnaireHeaderForm(forms.Form):
    """What, when and how a staff-entered questionnaire was collected."""

    STAFF_ENTRY_MODES = tuple((c, lbl) for c, lbl in vocab.ENTRY_MODES if c != "patient")

    timepoint = forms.ChoiceField(choices=vocab.TIMEPOINTS)
    responded_on = forms.DateField(widget=DATE, label="Answered on")
    entry_mode = forms.ChoiceField(
        choices=STAFF_ENTRY_MODES,
        label="Collected by",
        help_text="Staff entry is always marked as paper or phone.",
    )

    def __init__(self, *args: Any, as_of: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of

    def clean_responded_on(self) -> dt.date:
        value = self.cleaned_data["responded_on"]
        if self.as_of and value > self.as_of + dt.timedelta(days=1):
            raise forms.ValidationError("The answer date is in the future.")
        return value
