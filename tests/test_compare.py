"""fusiontrack.core.compare: pairing baseline and follow-up tables by patient."""

from __future__ import annotations

import pandas as pd

from fusiontrack.core.compare import compare_frames


def test_blank_patient_ids_are_counted_and_never_paired_with_each_other():
    """Persona: Maria's export has one baseline and one follow-up row whose id cell is empty."""
    baseline = pd.DataFrame({"patient_id": [None, "P1", "  "], "nrs_back": [8.0, 5.0, 9.0]})
    followup = pd.DataFrame({"patient_id": [None, "P1"], "nrs_back": [2.0, 2.0]})
    result = compare_frames(baseline, followup, key="patient_id")
    assert result.per_patient["patient_id"].tolist() == ["P1"]
    assert result.blank_keys == {"baseline": 2, "follow-up": 1}
    # Ostelo 2008: back-pain NRS MCID 2 points; P1 improved 5 -> 2
    assert bool(result.per_patient.loc[0, "nrs_back_mcid"]) is True
