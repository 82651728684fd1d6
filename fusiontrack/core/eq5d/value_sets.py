"""Value-set names, aliases and citations.

Ids are the column names of the vendored fragla/eq5d tables in lower case ("england",
"japan_ctto", "sweden_2020", "uk"). Lookup forgives case, spaces, hyphens and underscores
("Hong Kong" -> "hongkong"); anything else is a ScoringError that lists the closest ids, because a
silently wrong value set gives plausible but wrong utilities.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from fusiontrack.core.eq5d import _data
from fusiontrack.core.errors import ScoringError


def normalise(name: str) -> str:
    """'Hong Kong' -> 'hong_kong'; 'Japan-cTTO' -> 'japan_ctto'."""
    return name.strip().lower().replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class Catalogue:
    """The ids of one family of tables (5L sets, 3L sets, crosswalk or DSU countries)."""

    label: str  # for messages: "EQ-5D-5L value set"
    ids: tuple[str, ...]
    aliases: Mapping[str, str]

    def resolve(self, name: object) -> str:
        """The id `name` stands for, or ScoringError listing close matches."""
        if isinstance(name, str):
            key = normalise(name)
            if key in self.ids:
                return key
            if key in self.aliases:
                return self.aliases[key]
            squashed = key.replace("_", "")
            for known in self.ids:
                if known.replace("_", "") == squashed:
                    return known
            close = difflib.get_close_matches(key, [*self.ids, *self.aliases], n=5, cutoff=0.6)
        else:
            close = []
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ScoringError(
            f"Unknown {self.label} {name!r}.{hint} Choose one of: {', '.join(self.ids)}.",
            item="value_set",
            value=name,
            allowed=", ".join(self.ids),
        )


@dataclass(frozen=True)
class ValueSetInfo:
    """Where a value set comes from, for reports and the instrument listing."""

    id: str
    version: str  # "EQ-5D-5L" or "EQ-5D-3L"
    country: str  # human label, e.g. "Japan (cTTO)"
    citation: str  # authors, title, journal, year, doi — or a SOURCE MISSING statement
    doi: str | None
    pmid: str | None
    url: str | None
    notes: tuple[str, ...] = ()  # disputes and caveats a user of this set should know


#: Known disputes and caveats, per (version, id). Sources: shared/notes/verified-facts.md §1 and
#: shared/notes/instruments.md §3.4 (cross-check of fragla, valueEQ5D and eq5dsuite).
_NOTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("5L", "england"): (
        "NICE does not recommend this set for reference-case analyses and advises mapping to the "
        "3L UK set instead (dsu_map_5l_to_3l) [UNVERIFIED: NICE position statement not retrieved].",
    ),
    ("5L", "germany"): (
        "UNRESOLVED: the AD level-4 decrement is 0.244 here (fragla VT.csv, valueEQ5D, the NICE "
        "DSU table and the MII FHIR IG citing EuroQol's SPSS syntax); eq5dsuite uses 0.224, so "
        "625 states with AD=4 differ by 0.020. Ludwig 2018 Table 3 not yet read.",
    ),
    ("5L", "japan_ctto"): ("Shiroiwa 2016 cTTO-based set; the one eq5dsuite uses for Japan.",),
    ("5L", "japan_dce"): (
        "Shiroiwa 2016 DCE-based variant; the 'Japan' of valueEQ5D and of the NICE DSU table.",
    ),
    ("5L", "netherlands"): ("eq5dsuite uses more precise coefficients (index differs ≤ 0.0018).",),
    ("5L", "belgium"): ("eq5dsuite uses more precise coefficients (index differs ≤ 0.0016).",),
    ("5L", "iran"): ("eq5dsuite uses more precise coefficients (index differs ≤ 0.0028).",),
    ("5L", "uk"): (
        "New UK EQ-5D-5L set (Rowen et al. 2026); whether NICE has adopted it is UNVERIFIED.",
    ),
    ("3L", "usa"): (
        "Shaw 2005 formula with D1/I2²/I3/I3² terms: 33333 = −0.109 (fragla tests, valueEQ5D); "
        "eq5dsuite's US table gives −0.102.",
    ),
    ("3L", "australia"): (
        "22 logically inconsistent states take fixed values as listed by fragla/eq5d "
        "(TTO_overrides.csv) [SRC-partial: Viney 2011 table not checked].",
    ),
}

_REFERENCE_KEYS = {"5L": ("EQ-5D-5L", "VT"), "3L": ("EQ-5D-3L", "TTO")}


def value_set_info(value_set: str, version: str = "5L") -> ValueSetInfo:
    """Citation and caveats of a value set; `version` is "5L" (default) or "3L"."""
    from fusiontrack.core.eq5d.five_level import CATALOGUE_5L
    from fusiontrack.core.eq5d.three_level import CATALOGUE_3L

    catalogues = {"5L": CATALOGUE_5L, "3L": CATALOGUE_3L}
    if version not in catalogues:
        raise ScoringError(
            f"Unknown EQ-5D version {version!r}; use '5L' or '3L'.",
            item="version",
            value=version,
            allowed="5L, 3L",
        )
    vs_id = catalogues[version].resolve(value_set)
    ref_version, ref_type = _REFERENCE_KEYS[version]
    ref = next(
        r
        for r in _data.references()
        if r["Version"] == ref_version and r["Type"] == ref_type and r["Country"].lower() == vs_id
    )
    cite = next(c for c in _data.citations() if c["version"] == version and c["value_set"] == vs_id)
    doi = ref["DOI"].strip().rstrip(".") or None
    url = ref["ExternalURL"].strip() or None
    citation = cite["citation"] or (
        f"SOURCE MISSING: full reference not in the vendored sources; "
        f"{cite['country']} EQ-5D-{version} value set, " + (f"doi:{doi}" if doi else f"see {url}")
    )
    return ValueSetInfo(
        id=vs_id,
        version=ref_version,
        country=cite["country"],
        citation=citation,
        doi=doi,
        pmid=ref["PubMed"].strip() or None,
        url=url,
        notes=_NOTES.get((version, vs_id), ()),
    )
