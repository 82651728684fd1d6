"""A Django form built from an instrument definition (items, options, ranges) for staff entry.

The form only collects; the core validates and scores. A ScoringError from the core is shown
on the item it names, so a bad answer is a form error, never a stack trace.
"""

from __future__ import annotations

from typing import Any

from django import forms

from fusiontrack.core.errors import FusiontrackError, ScoringError


def _field(item: Any) -> forms.Field:
    label = f"{item.label}. {item.text}" if item.text and item.text != item.label else item.label
    if item.options:
        choices = [("", "— not answered —")] + [(str(o.value), o.label) for o in item.options]
        return forms.ChoiceField(label=label, choices=choices, required=False)
    attrs: dict[str, Any] = {"inputmode": "decimal"}
    if item.minimum is not None:
        attrs["min"] = item.minimum
    if item.maximum is not None:
        attrs["max"] = item.maximum
    attrs["step"] = item.step or "any"
    help_text = " — ".join(f"{k}: {v}" for k, v in (item.anchors or {}).items())
    return forms.FloatField(
        label=label, required=False, widget=forms.NumberInput(attrs=attrs), help_text=help_text
    )


class InstrumentForm(forms.Form):
    """One field per item, named ``item_<id>``."""

    def __init__(self, instrument: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[f"item_{item.id}"] = _field(item)

    def answers(self) -> dict[str, Any]:
        """{item id: answer} for the answered items, options back in their own type."""
        out: dict[str, Any] = {}
        for item in self.instrument.items:
            value = self.cleaned_data.get(f"item_{item.id}")
            if value in (None, ""):
                continue
            if item.options:
                value = next((o.value for o in item.options if str(o.value) == value), value)
            out[item.id] = value
        return out

    def add_core_error(self, exc: FusiontrackError) -> None:
        """Put the core's message on the item it names, else at the top of the form."""
        item = exc.item if isinstance(exc, ScoringError) else None
        name = f"item_{item}"
        if item and name in self.fields:
            self.add_error(name, str(exc))
        else:
            self.add_error(None, str(exc))
