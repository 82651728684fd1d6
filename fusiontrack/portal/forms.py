"""Portal forms: the patient's date of birth; the staff's send, plan and protocol forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fusiontrack.core import vocab
from fusiontrack.portal.models import PlanDetails, SiteProtocol


class DateOfBirthForm(forms.Form):
    """Day, month and year as three boxes (easier on phones and screen readers than a picker)."""

    day = forms.IntegerField(
        label=gettext_lazy("Day"),
        min_value=1,
        max_value=31,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "bday-day", "size": 2}
        ),
        error_messages={
            "required": gettext_lazy("Enter the day."),
            "invalid": gettext_lazy("The day must be a number, like 7."),
        },
    )
    month = forms.IntegerField(
        label=gettext_lazy("Month"),
        min_value=1,
        max_value=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "bday-month", "size": 2}
        ),
        error_messages={
            "required": gettext_lazy("Enter the month."),
            "invalid": gettext_lazy("The month must be a number from 1 to 12."),
        },
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        min_value=1900,
        max_value=2100,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "bday-year", "size": 4}
        ),
        error_messages={
            "required": gettext_lazy("Enter the year."),
            "invalid": gettext_lazy("The year must have 4 numbers, like 1961."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plain-language range messages instead of Django's "Ensure this value is ...".
        for name, text in (
            ("day", _("The day must be a number from 1 to 31.")),
            ("month", _("The month must be a number from 1 to 12.")),
            ("year", _("The year must have 4 numbers, like 1961.")),
        ):
            self.fields[name].error_messages["min_value"] = text
            self.fields[name].error_messages["max_value"] = text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"day", "month", "year"} <= data.keys():
            try:
                data["date_of_birth"] = dt.date(data["year"], data["month"], data["day"])
            except ValueError:
                raise forms.ValidationError(
                    _("That date does not exist. Please check the day and the month.")
                ) from None
        return data


class SendInvitationForm(forms.Form):
    timepoint = forms.ChoiceField(choices=vocab.TIMEPOINTS)
    channel = forms.ChoiceField(
        choices=(
            ("auto", "Patient's preferred (e-mail, else SMS)"),
            ("email", "E-mail"),
            ("sms", "SMS"),
        ),
        initial="auto",
    )


class PlanDetailsForm(forms.ModelForm):
    medications = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Medicines the patient takes that the protocol has a rule for.",
    )

    class Meta:
        model = PlanDetails
        fields = (
            "arrival_time",
            "arrive_evening_before",
            "medications",
            "crcl_ml_min",
            "work_kind",
        )
        widgets = {"arrival_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}  # noqa: RUF012

    def __init__(self, *args: Any, protocol: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["medications"].choices = [
            (code, (rule.label or code.replace("_", " ")).capitalize())
            for code, rule in protocol.medications.items()
        ]


class SiteProtocolForm(forms.ModelForm):
    """Admin form: the overrides must merge onto the defaults into a valid protocol."""

    class Meta:
        model = SiteProtocol
        fields = ("site", "overrides")

    def clean_overrides(self) -> Any:
        from fusiontrack.core.errors import FusiontrackError
        from fusiontrack.core.plans import protocol_with_overrides

        overrides = self.cleaned_data.get("overrides") or {}
        if not isinstance(overrides, dict):
            raise forms.ValidationError("The overrides must be a JSON object.")
        try:
            protocol_with_overrides(overrides)
        except FusiontrackError as exc:
            raise forms.ValidationError(str(exc)) from None
        return overrides
