"""The generated cohort: one pandas DataFrame per record type, keyed by synthetic integer ids.

Ids start at 1 within each table; foreign keys use them (``patient_id``, ``episode_id``,
``surgeon_id``, ``site_id``, ``response_id``). Dates are ``datetime64[ns]`` columns holding
midnight values (use ``.dt.date``); missing dates are NaT. Questionnaire answers are item-level,
one frame per instrument indexed by ``response_id``, with the column names of the
``fusiontrack score`` CSV (``odi_1``…``odi_10``, ``nrs_back``, ``eq5d_mo``…, ``comi_*``); a
blank item is NaN.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import pandas as pd

TABLES = (
    "sites",
    "surgeons",
    "patients",
    "episodes",
    "stage_events",
    "diagnoses",
    "imaging",
    "conservative_care",
    "decisions",
    "preop",
    "operations",
    "stays",
    "complications",
    "reoperations",
    "fusion_assessments",
    "return_to_work",
    "visits",
    "responses",
)


@dataclass(frozen=True)
class Cohort:
    """A deterministic synthetic registry: same seed, size and ``as_of`` give the same cohort.

    ``visits`` has one row per operated episode and time point (baseline and follow-ups) with
    ``due_on``, ``status`` (completed / missed / pending / not_due as of ``as_of``) and
    ``responded_on``; ``responses`` has one row per instrument answered at a visit.
    """

    seed: int
    as_of: date
    sites: pd.DataFrame
    surgeons: pd.DataFrame
    patients: pd.DataFrame
    episodes: pd.DataFrame
    stage_events: pd.DataFrame
    diagnoses: pd.DataFrame
    imaging: pd.DataFrame
    conservative_care: pd.DataFrame
    decisions: pd.DataFrame
    preop: pd.DataFrame
    operations: pd.DataFrame
    stays: pd.DataFrame
    complications: pd.DataFrame
    reoperations: pd.DataFrame
    fusion_assessments: pd.DataFrame
    return_to_work: pd.DataFrame
    visits: pd.DataFrame
    responses: pd.DataFrame
    answers: dict[str, pd.DataFrame]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every record table by name (answers excluded), in load order."""
        return {name: getattr(self, name) for name in TABLES}

    def answers_of(self, response_id: int) -> dict[str, int | float]:
        """The item answers of one response (blank items left out), for a single lookup."""
        instrument = self.responses.at[response_id - 1, "instrument"]
        row = self.answers[instrument].loc[response_id]
        return {item: value.item() for item, value in row.dropna().items()}

    def digest(self) -> str:
        """A SHA-256 over every table and answer frame: equal digests mean identical cohorts."""
        h = hashlib.sha256(f"{self.seed}|{self.as_of.isoformat()}".encode())
        frames = [*self.tables().items(), *sorted(self.answers.items())]
        for name, frame in frames:
            h.update(name.encode())
            h.update("|".join(map(str, frame.columns)).encode())
            h.update(pd.util.hash_pandas_object(_hashable(frame), index=True).to_numpy().tobytes())
        return h.hexdigest()

    def counts(self) -> dict[str, int]:
        """Rows per table, answers per instrument included (for reports and benchmarks)."""
        out = {name: len(frame) for name, frame in self.tables().items()}
        out.update({f"answers.{k}": len(v) for k, v in sorted(self.answers.items())})
        return out


def _hashable(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells (e.g. an operation's grafts) joined into strings so pandas can hash them."""
    lists = [
        name
        for name in frame.columns
        if frame[name].dtype == object and frame[name].map(type).eq(list).any()
    ]
    if not lists:
        return frame
    return frame.assign(**{name: frame[name].map(lambda v: ",".join(v)) for name in lists})
