"""FHIR Patients → registry patients of one site, keyed by MRN (the natural key per site).

The MRN is the identifier whose system is the site's MRN system (``codes.mrn_system``), else the
one typed MR (HL7 v2-0203), else the ``--mrn-system`` given. A patient whose MRN exists already
is left as it is (re-running an import creates nothing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fusiontrack.core import vocab
from fusiontrack.fhir import codes, validate

SEXES = set(vocab.codes(vocab.SEX))


@dataclass(frozen=True)
class PatientFields:
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str
    email: str
    phone: str


def mrn_of(resource: dict[str, Any], site_code: str, mrn_system: str | None) -> str | None:
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)]
    wanted = [codes.mrn_system(site_code), *([mrn_system] if mrn_system else [])]
    for system in wanted:
        for ident in identifiers:
            if ident.get("system") == system and ident.get("value"):
                return str(ident["value"])
    for ident in identifiers:
        types = (ident.get("type") or {}).get("coding") or []
        if any(c.get("code") == "MR" for c in types if isinstance(c, dict)) and ident.get("value"):
            return str(ident["value"])
    return None


def patient_fields(
    resource: dict[str, Any], site_code: str, mrn_system: str | None
) -> tuple[PatientFields | None, list[str]]:
    """Validate (fhir.resources, R4B) and map one Patient; messages say what is missing."""
    try:
        validate.validate(resource)
    except validate.InvalidResource as exc:
        return None, [f"{where}: {message}" for where, message in exc.issues]
    problems = []
    mrn = mrn_of(resource, site_code, mrn_system)
    if mrn is None:
        problems.append(
            f"no MRN: add an identifier with system {codes.mrn_system(site_code)} or type MR "
            "(or pass --mrn-system)."
        )
    names = resource.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    given = " ".join(name.get("given") or [])
    family = name.get("family") or ""
    if not given or not family:
        problems.append("name needs a given and a family name.")
    birth = resource.get("birthDate")
    if not birth or len(birth) != 10:
        problems.append("birthDate must be a full date (YYYY-MM-DD).")
    sex = resource.get("gender") or "unknown"
    if sex not in SEXES:
        problems.append(f"gender {sex!r} must be one of {', '.join(sorted(SEXES))}.")
    if problems:
        return None, problems
    telecom = [t for t in resource.get("telecom") or [] if isinstance(t, dict)]
    email = next((t.get("value", "") for t in telecom if t.get("system") == "email"), "")
    phone = next((t.get("value", "") for t in telecom if t.get("system") == "phone"), "")
    return (
        PatientFields(
            mrn=str(mrn)[:40],
            given_name=given[:100],
            family_name=family[:100],
            date_of_birth=dt.date.fromisoformat(birth),
            sex=sex,
            email=email[:254],
            phone=phone[:40],
        ),
        [],
    )
