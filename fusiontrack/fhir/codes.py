"""Code systems and codes fusiontrack writes into FHIR resources, each with its source.

Rule (team guide: never invent a clinical fact): a LOINC or SNOMED CT code appears only where a
source in ``shared/notes`` gives it; everything else uses a fusiontrack CodeSystem under
``CANONICAL`` and says so here. Instrument and score codes live in the instrument definitions
(``fusiontrack/core/instruments/definitions/*.json``, each with its evidence) and are read from
there, not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from fusiontrack.core import vocab

#: Placeholder canonical base: ``.example`` is reserved by RFC 2606, so no one can own it and no
#: code of ours can collide with someone else's. The project controls no domain yet; when it does,
#: it sets FUSIONTRACK_FHIR_CANONICAL_BASE once for every install.
DEFAULT_CANONICAL = "https://fusiontrack.example/fhir"


def canonical_base() -> str:
    """FUSIONTRACK_FHIR_CANONICAL_BASE (Django setting, else environment), else the placeholder.

    A namespace, not a server address: codes, Questionnaire URLs and identifier systems are built
    from it, so it must be the same on every install that exchanges data and must not change
    once resources were sent (a receiver would no longer match them).
    """
    import os

    from django.conf import settings

    configured = (
        getattr(settings, "FUSIONTRACK_FHIR_CANONICAL_BASE", None) if settings.configured else None
    )
    value = str(configured or os.environ.get("FUSIONTRACK_FHIR_CANONICAL_BASE") or "").strip()
    value = (value or DEFAULT_CANONICAL).rstrip("/")
    if not value.startswith(("https://", "http://")) or " " in value:
        raise ValueError(
            f"FUSIONTRACK_FHIR_CANONICAL_BASE={value!r} must be an absolute http(s) URL, "
            f"e.g. {DEFAULT_CANONICAL}."
        )
    return value


#: Canonical base of fusiontrack's own FHIR artefacts (CodeSystems, Questionnaires, extensions,
#: identifier systems), read once at start-up.
CANONICAL = canonical_base()

FHIR_VERSION = "4.0.1"

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

# fusiontrack code systems (no standard code was found for these concepts; see each use).
CS_SCORE = f"{CANONICAL}/CodeSystem/score"
CS_DIAGNOSIS = f"{CANONICAL}/CodeSystem/diagnosis"
CS_APPROACH = f"{CANONICAL}/CodeSystem/approach"
CS_BODY_SITE = f"{CANONICAL}/CodeSystem/spinal-structure"
CS_TIMEPOINT = f"{CANONICAL}/CodeSystem/timepoint"
CS_MEYERDING = f"{CANONICAL}/CodeSystem/meyerding-grade"
CS_SCORE_BAND = f"{CANONICAL}/CodeSystem/score-category"

EXT_TIMEPOINT = f"{CANONICAL}/StructureDefinition/timepoint"
EXT_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


def mrn_system(site_code: str) -> str:
    """Identifier system of a site's medical record numbers (MRNs are unique per site only)."""
    return f"{CANONICAL}/sid/mrn/{site_code}"


def questionnaire_url(instrument_id: str) -> str:
    return f"{CANONICAL}/Questionnaire/{instrument_id}"


def answer_system(instrument_id: str) -> str:
    """CodeSystem of one instrument's answer options (code = the stored answer value)."""
    return f"{CANONICAL}/CodeSystem/{instrument_id}-answer"


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str
    source: str

    def as_fhir(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


# -- procedure ----------------------------------------------------------------------------------

#: SNOMED CT 55705006 "Spinal fusion": CORROBORATED by two independent code sources
#: (shared/notes/verified-facts.md §12); its FSN was not checked in a SNOMED browser.
SPINAL_FUSION = Coding(
    SNOMED, "55705006", "Spinal fusion", "verified-facts.md §12 (CORROBORATED; FSN unchecked)"
)

# -- body sites ---------------------------------------------------------------------------------

_DICOM = "DICOM CID 7603/7604 via shared/notes/instruments.md §7 [SRC]"

#: Vertebrae and discs. SNOMED CT codes from DICOM's context groups as recorded in
#: shared/notes/instruments.md §7. S1 vertebra has no code there: the sacrum (54735007, of which
#: S1 is the first segment) stands for it. L3/L4 disc was not found: fusiontrack code.
BODY_SITES: dict[str, Coding] = {
    "L3": Coding(SNOMED, "36470004", "L3 vertebra", _DICOM),
    "L4": Coding(SNOMED, "11994002", "L4 vertebra", _DICOM),
    "L5": Coding(SNOMED, "49668003", "L5 vertebra", _DICOM),
    "S1": Coding(
        SNOMED, "54735007", "Sacrum", "DICOM anatomic table T-11AD0 (instruments.md §7) [SRC]"
    ),
    "L3/L4": Coding(
        CS_BODY_SITE, "L3-L4-disc", "L3/L4 intervertebral disc", "SOURCE MISSING: no SNOMED code"
    ),
    "L4/L5": Coding(SNOMED, "84020006", "L4/L5 disc", _DICOM),
    "L5/S1": Coding(SNOMED, "715056000", "L5/S1 disc", _DICOM),
}

_LEVEL_CHAINS = {
    "L4-L5": ("L4", "L5"),
    "L5-S1": ("L5", "S1"),
    "L4-S1": ("L4", "L5", "S1"),
    "L3-L4": ("L3", "L4"),
    "L3-L5": ("L3", "L4", "L5"),
    "L3-S1": ("L3", "L4", "L5", "S1"),
}

OTHER_LEVELS = Coding(CS_BODY_SITE, "other", "Other spinal levels", "fusiontrack vocabulary")


def body_sites(levels: str) -> list[Coding]:
    """The vertebrae and the discs between them for a stored level range (vocab.LEVELS)."""
    chain = _LEVEL_CHAINS.get(levels)
    if chain is None:
        return [OTHER_LEVELS]
    discs = [f"{upper}/{lower}" for upper, lower in pairwise(chain)]
    return [BODY_SITES[name] for name in (*chain, *discs)]


# -- vocabularies as fusiontrack codings ----------------------------------------------------------


def vocab_coding(system: str, choices: vocab.Choices, code: str) -> dict[str, str]:
    labels = dict(choices)
    return {"system": system, "code": code, "display": labels.get(code, code)}


def timepoint_coding(code: str) -> dict[str, str]:
    return vocab_coding(CS_TIMEPOINT, vocab.TIMEPOINTS, code)


#: Numeric score units as UCUM: "%" is a UCUM unit; the rest are dimensionless scores written as
#: UCUM annotations ({...} = 1), the usual FHIR practice for questionnaire scores.
UCUM_UNITS = {"%": "%", "{score}": "{score}", "T-score": "{T-score}", "sections": "{sections}"}


def ucum_unit(unit: str) -> str:
    return UCUM_UNITS.get(unit, "{score}")


#: Category scores are sent as the interpretation of a numeric score of the same response
#: (FHIR Observation.interpretation), not as separate Observations.
CATEGORY_HOSTS = {"odi_band": "odi", "work_status": "working"}
