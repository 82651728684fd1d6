"""A deterministic synthetic cohort of lumbar fusion patients for tests, docs, demo and benchmarks.

Pure Python and numpy (no Django). ``generate_cohort(...)`` returns a ``Cohort`` of pandas
DataFrames; ``PARAMETERS`` holds every generating parameter with its source. The data are
synthetic and labelled so: never real patients, never for clinical inference.
"""

from __future__ import annotations

from fusiontrack.synthetic.cohort import Cohort
from fusiontrack.synthetic.generate import DEFAULT_SEED, generate_cohort
from fusiontrack.synthetic.parameters import PARAMETERS, Parameter

__all__ = ["DEFAULT_SEED", "PARAMETERS", "Cohort", "Parameter", "generate_cohort"]
