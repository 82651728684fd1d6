"""Cohort filters shared by the dashboard, the CSV downloads, the reports and the CLI.

One dataclass, parsed from a query string or CLI options with clear errors, applied in SQL to
the Episode queryset (everything except the age band, which needs the age at surgery and is
applied to the loaded frame).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd

from fusiontrack.core import vocab

#: Age at surgery, in whole years, inclusive bounds. Reporting bands, not clinical thresholds.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "18-49": (18, 49),
    "50-64": (50, 64),
    "65-74": (65, 74),
    "75+": (75, 200),
}

CHOICES: dict[str, tuple[str, ...]] = {
    "diagnosis": vocab.codes(vocab.DIAGNOSES),
    "approach": vocab.codes(vocab.APPROACHES),
    "levels": vocab.codes(vocab.LEVELS),
    "sex": vocab.codes(vocab.SEX),
    "smoking": vocab.codes(vocab.SMOKING_STATUS),
    "asa": vocab.codes(vocab.ASA_CLASSES),
    "age_band": tuple(AGE_BANDS),
}


class FilterError(ValueError):
    """A filter value cannot be used; the message names the filter and the allowed values."""


@dataclass(frozen=True)
class CohortFilter:
    """Which operated episodes to analyse; blank fields do not filter."""

    site: str = ""
    surgeon: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    diagnosis: str = ""
    approach: str = ""
    levels: str = ""
    age_band: str = ""
    sex: str = ""
    smoking: str = ""
    asa: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> CohortFilter:
        """From a query string or CLI options; unknown keys are ignored, bad values refused."""
        values: dict[str, Any] = {}
        errors: list[str] = []
        for name in (f.name for f in fields(cls)):
            raw = data.get(name)
            text = "" if raw is None else str(raw).strip()
            if text:
                try:
                    values[name] = _parse_one(name, text)
                except FilterError as exc:
                    errors.append(str(exc))
        if errors:
            raise FilterError("; ".join(errors))
        parsed = cls(**values)
        if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
            raise FilterError("date_from is after date_to; swap them")
        return parsed

    def as_query(self) -> dict[str, str]:
        """Non-blank filters as strings (for links and the report's header)."""
        out = {}
        for key, value in asdict(self).items():
            if value not in (None, ""):
                out[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    def describe(self) -> str:
        query = self.as_query()
        if not query:
            return "all operated patients"
        return "; ".join(f"{k.replace('_', ' ')} = {v}" for k, v in query.items())

    def apply_sql(self, episodes: Any) -> Any:
        """Filter an Episode queryset by everything but the age band."""
        qs = episodes
        if self.site:
            qs = qs.filter(site__code=self.site)
        if self.surgeon is not None:
            qs = qs.filter(surgeon_id=self.surgeon)
        if self.date_from:
            qs = qs.filter(surgery_date__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(surgery_date__lte=self.date_to)
        if self.sex:
            qs = qs.filter(patient__sex=self.sex)
        if self.diagnosis:
            qs = qs.filter(diagnoses__is_primary=True, diagnoses__diagnosis=self.diagnosis)
        if self.approach:
            qs = qs.filter(operations__approach=self.approach)
        if self.levels:
            qs = qs.filter(operations__levels=self.levels)
        if self.smoking:
            qs = qs.filter(preoperative_assessments__smoking=self.smoking)
        if self.asa:
            qs = qs.filter(preoperative_assessments__asa_class=self.asa)
        return qs.distinct() if self._joins() else qs

    def _joins(self) -> bool:
        return bool(self.diagnosis or self.approach or self.levels or self.smoking or self.asa)

    def apply_all_frame(self, episodes: pd.DataFrame) -> pd.DataFrame:
        """Every filter on a loaded episode frame (the cached snapshot's way of filtering)."""
        mask = pd.Series(True, index=episodes.index)
        equal = {
            "site": "site",
            "sex": "sex",
            "diagnosis": "diagnosis",
            "approach": "approach",
            "levels": "levels",
            "smoking": "smoking",
            "asa": "asa",
        }
        for name, column in equal.items():
            wanted = getattr(self, name)
            if wanted:
                mask &= episodes[column] == wanted
        if self.surgeon is not None:
            mask &= episodes["surgeon_id"] == self.surgeon
        if self.date_from:
            mask &= episodes["surgery_date"] >= pd.Timestamp(self.date_from)
        if self.date_to:
            mask &= episodes["surgery_date"] <= pd.Timestamp(self.date_to)
        return self.apply_frame(episodes[mask])

    def apply_frame(self, episodes: pd.DataFrame) -> pd.DataFrame:
        """The age band, on the loaded episode frame (column ``age``)."""
        if not self.age_band:
            return episodes
        low, high = AGE_BANDS[self.age_band]
        return episodes[(episodes["age"] >= low) & (episodes["age"] <= high)]


def _parse_one(name: str, text: str) -> Any:
    if name == "surgeon":
        if not text.isdigit():
            raise FilterError(f"surgeon must be a surgeon's number, not {text!r}")
        return int(text)
    if name in ("date_from", "date_to"):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise FilterError(f"{name} must be a date as YYYY-MM-DD, not {text!r}") from None
    allowed = CHOICES.get(name)
    if allowed is not None and text not in allowed:
        raise FilterError(f"{name} must be one of {', '.join(allowed)}; got {text!r}")
    return text


def age_band(age: pd.Series) -> pd.Series:
    """Band label per age (blank when unknown)."""
    out = pd.Series("", index=age.index, dtype=object)
    for label, (low, high) in AGE_BANDS.items():
        out[(age >= low) & (age <= high)] = label
    return out
