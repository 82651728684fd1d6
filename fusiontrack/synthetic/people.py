"""Sites, surgeons and patients: identities (obviously fake) and baseline characteristics.

Names come from short lists of made-up family names so nobody mistakes a row for a person;
e-mail addresses use the reserved ``example.org`` domain (RFC 2606) and telephone numbers the
UK Ofcom range reserved for drama (07700 900000–900999).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.synthetic import _random as rnd
from fusiontrack.synthetic.parameters import value

SITE_NAMES = (
    ("north", "Northfield Spine Centre (synthetic)"),
    ("south", "Southbank General Hospital (synthetic)"),
    ("east", "Eastgate Orthopaedic Clinic (synthetic)"),
    ("west", "Westmoor Neurosurgery Unit (synthetic)"),
)
FAMILY_NAMES = (
    "Sampleton",
    "Testwood",
    "Mockridge",
    "Demoford",
    "Fauxley",
    "Fictorius",
    "Synthwell",
    "Madeupson",
    "Placeholder",
    "Dummerton",
    "Pretendo",
    "Examplar",
    "Specimen",
    "Notaperson",
    "Fabricata",
    "Inventa",
    "Simulacre",
    "Loremson",
    "Ipsumby",
    "Dolorsit",
    "Foobarton",
    "Bazley-Quux",
    "Nullman",
    "Voidsworth",
    "Fixtureby",
    "Sandboxer",
    "Testington",
    "Dryrunner",
    "Mockingdale",
    "Stubworth",
    "Fakenham-Test",
    "Pseudonymo",
    "Anonymoor",
    "Exampleby",
    "Syntheticus",
    "Trialsworth",
    "Unrealton",
    "Imaginaro",
    "Proxyman",
    "Surrogato",
)
GIVEN_FEMALE = (
    "Alice",
    "Beatrix",
    "Clara",
    "Dana",
    "Edith",
    "Freya",
    "Greta",
    "Hana",
    "Ines",
    "Jana",
    "Karin",
    "Lena",
    "Maria",
    "Nora",
    "Olga",
    "Petra",
    "Rita",
    "Sara",
    "Tove",
    "Ulla",
)
GIVEN_MALE = (
    "Anton",
    "Bruno",
    "Carl",
    "David",
    "Emil",
    "Felix",
    "Georg",
    "Hugo",
    "Ivan",
    "Jonas",
    "Karl",
    "Leon",
    "Marco",
    "Nils",
    "Oskar",
    "Paul",
    "Rune",
    "Sven",
    "Tomas",
    "Viktor",
)
LANGUAGES = {"en": 0.85, "de": 0.05, "fr": 0.04, "es": 0.04, "sv": 0.02}
EPOCH = np.datetime64("1970-01-01", "D")


def make_sites(n_sites: int) -> pd.DataFrame:
    rows = [
        SITE_NAMES[i] if i < len(SITE_NAMES) else (f"site{i + 1}", f"Site {i + 1} (synthetic)")
        for i in range(n_sites)
    ]
    return pd.DataFrame(
        {
            "site_id": np.arange(1, n_sites + 1),
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
        }
    )


def make_surgeons(seed: int, n_surgeons: int, n_sites: int) -> pd.DataFrame:
    """Surgeons are spread round-robin over the sites, so every site has at least one."""
    rng = rnd.stream(seed, "surgeons")
    given = rnd.pick(rng, GIVEN_FEMALE + GIVEN_MALE, n_surgeons)
    family = [FAMILY_NAMES[(7 * i + 3) % len(FAMILY_NAMES)] for i in range(n_surgeons)]
    return pd.DataFrame(
        {
            "surgeon_id": np.arange(1, n_surgeons + 1),
            "site_id": np.arange(n_surgeons) % n_sites + 1,
            "given_name": given,
            "family_name": family,
            "username": [f"dr_{f.lower().replace('-', '_')}_{i + 1}" for i, f in enumerate(family)],
        }
    )


@dataclass
class Characteristics:
    """Per-patient arrays every later table draws on (index i is patient_id i + 1)."""

    n: int
    site_id: NDArray[np.int64]
    surgeon_id: NDArray[np.int64]
    diagnosis: NDArray[np.object_]
    age: NDArray[np.float64]
    female: NDArray[np.bool_]
    smoking: NDArray[np.object_]
    bmi: NDArray[np.float64]
    diabetes: NDArray[np.bool_]
    asa: NDArray[np.object_]
    dominance: NDArray[np.object_]
    first_visit: NDArray[np.int64]  # days since 1970-01-01

    @property
    def smoker(self) -> NDArray[np.bool_]:
        return np.asarray(self.smoking == "current")


def draw_characteristics(
    seed: int, n: int, surgeons: pd.DataFrame, as_of_day: int
) -> Characteristics:
    rng = rnd.stream(seed, "characteristics")
    n_sites = int(surgeons["site_id"].max())
    site_id = rng.integers(1, n_sites + 1, n)
    surgeon_id = np.empty(n, dtype=np.int64)
    for site in range(1, n_sites + 1):
        mask = site_id == site
        own = surgeons.loc[surgeons["site_id"] == site, "surgeon_id"].to_numpy()
        surgeon_id[mask] = own[rng.integers(0, len(own), int(mask.sum()))]

    diagnosis = rnd.categorical(rng, value("diagnosis_mix"), n).astype(object)
    age_table = value("age_by_diagnosis")
    mean = np.array([age_table[d][0] for d in diagnosis])
    sd = np.array([age_table[d][1] for d in diagnosis])
    low, high = value("age_range")
    age = np.clip(rng.normal(mean, sd), low, high)

    female_table = value("female_fraction")
    p_female = np.array([female_table.get(d, female_table["default"]) for d in diagnosis])
    female = rng.random(n) < p_female

    smoking = _draw_smoking(rng, age)
    bmi_mean, bmi_sd = value("bmi_mean_sd")
    bmi = rnd.normal_clipped(rng, bmi_mean, bmi_sd, *value("bmi_range"), n)
    diabetes = _draw_diabetes(rng, bmi)
    asa = rnd.categorical(rng, value("asa_class_fractions"), n).astype(object)
    dominance = rnd.categorical_by_group(rng, diagnosis, value("pain_dominance_by_diagnosis"))
    first_visit = as_of_day - rng.integers(0, int(value("accrual_days")) + 1, n)
    return Characteristics(
        n,
        site_id,
        surgeon_id,
        diagnosis,
        age,
        female,
        smoking,
        bmi,
        diabetes,
        asa,
        dominance,
        first_visit,
    )


def _draw_smoking(rng: np.random.Generator, age: NDArray[np.float64]) -> NDArray[np.object_]:
    """Current smoking falls with age (odds ratio per decade) around the cited prevalence."""
    target = float(value("smoking_current"))
    slope = np.log(float(value("smoking_age_odds_ratio_per_decade"))) / 10.0
    centred = slope * (age - age.mean())
    intercept = calibrate_intercept(centred, target)
    current = rng.random(len(age)) < rnd.sigmoid(intercept + centred)
    p_former = float(value("smoking_former")) / (1.0 - target)
    former = ~current & (rng.random(len(age)) < p_former)
    return np.where(current, "current", np.where(former, "former", "never")).astype(object)


def _draw_diabetes(rng: np.random.Generator, bmi: NDArray[np.float64]) -> NDArray[np.bool_]:
    shift = np.where(bmi >= 30, np.log(float(value("diabetes_obesity_odds_ratio"))), 0.0)
    intercept = calibrate_intercept(shift, float(value("diabetes_fraction")))
    return np.asarray(rng.random(len(bmi)) < rnd.sigmoid(intercept + shift))


def calibrate_intercept(linear: NDArray[np.float64], target: float) -> float:
    """The logistic intercept that makes the mean probability over this sample equal target."""
    low, high = -20.0, 20.0
    for _ in range(60):
        mid = (low + high) / 2
        if rnd.sigmoid(mid + linear).mean() < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def patients_table(seed: int, c: Characteristics, as_of_day: int) -> pd.DataFrame:
    rng = rnd.stream(seed, "identities")
    n = c.n
    patient_id = np.arange(1, n + 1)
    given = np.where(c.female, rnd.pick(rng, GIVEN_FEMALE, n), rnd.pick(rng, GIVEN_MALE, n)).astype(
        object
    )
    family = rnd.pick(rng, FAMILY_NAMES, n)
    dob = c.first_visit - np.floor(c.age * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    has_email = rng.random(n) < 0.9
    email = (
        pd.Series(given).str.lower()
        + "."
        + pd.Series(family).str.lower()
        + (pd.Series(patient_id).astype(str) + "@example.org")
    )
    phone = pd.Series(rng.integers(0, 1000, n)).map(lambda x: f"+44 7700 900{x:03d}")
    consent_registry = rng.random(n) < 0.95
    consent_research = consent_registry & (rng.random(n) < 0.8)
    first_visit = to_dates(c.first_visit)
    return pd.DataFrame(
        {
            "patient_id": patient_id,
            "site_id": c.site_id,
            "mrn": [f"SYN{i:08d}" for i in patient_id],
            "given_name": given,
            "family_name": family,
            "date_of_birth": to_dates(dob),
            "sex": np.where(c.female, "female", "male"),
            "email": np.where(has_email, email.str.replace("-", "", regex=False), ""),
            "phone": np.where(rng.random(n) < 0.95, phone, ""),
            "preferred_language": rnd.categorical(rng, LANGUAGES, n),
            "consent_registry": consent_registry,
            "consent_registry_date": first_visit.where(consent_registry),
            "consent_research": consent_research,
            "consent_research_date": first_visit.where(consent_research),
        }
    )


def to_dates(days: NDArray[np.int64] | NDArray[np.float64]) -> pd.Series:
    """Days since 1970-01-01 (NaN → NaT) as a datetime64[ns] Series (midnight values)."""
    arr = np.asarray(days, dtype=np.float64)
    missing = np.isnan(arr)
    out = (
        np.where(missing, 0, arr).astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    )
    out[missing] = np.datetime64("NaT")
    return pd.Series(out)
