"""FHIR resources fusiontrack emits: every one validates, round-trips, and carries sourced codes.

Validation uses fhir.resources' R4B models (fusiontrack/fhir/validate.py explains why R4B stands
for R4 4.0.1); ``test_r4b_elements_equal_r4_4_0_1_against_fhirclient`` checks that claim against
fhirclient's models, which are generated from the 4.0.1 StructureDefinitions.
"""

from __future__ import annotations

import importlib
import inspect
import json

import pytest

from fusiontrack.core.instruments import INSTRUMENTS
from fusiontrack.fhir import build, catalog, codes, validate
from fusiontrack.fhir.capability import capability_statement
from fusiontrack.fhir.codes import CANONICAL

pytestmark = pytest.mark.django_db

SERVED_MODULES = (
    "patient",
    "condition",
    "procedure",
    "observation",
    "questionnaire",
    "questionnaireresponse",
    "careplan",
    "capabilitystatement",
    "bundle",
    "operationoutcome",
)


def test_r4b_elements_equal_r4_4_0_1_against_fhirclient():
    """fhirclient 4.x models are generated from FHIR 4.0.1 (header of each module); every class
    of the resources we serve has the same element names in fhir.resources' R4B package."""
    compared = 0
    for name in SERVED_MODULES:
        r4 = importlib.import_module(f"fhirclient.models.{name}")
        assert "4.0.1" in inspect.getsource(r4).splitlines()[0]
        r4b = importlib.import_module(f"fhir.resources.R4B.{name}")
        for cls_name, cls in inspect.getmembers(r4, inspect.isclass):
            if cls.__module__ != r4.__name__:
                continue
            r4_fields = {e[0] for e in cls().elementProperties()}
            r4b_fields = {
                f
                for f in getattr(r4b, cls_name).model_fields
                if not f.endswith("__ext") and f != "fhir_comments"
            }
            assert r4_fields == r4b_fields, cls_name
            compared += 1
    assert compared == 46


@pytest.mark.parametrize("instrument_id", sorted(INSTRUMENTS))
def test_every_questionnaire_validates_and_round_trips(instrument_id):
    resource = build.questionnaire(INSTRUMENTS[instrument_id])
    assert validate.round_trip(resource) == resource
    instrument = INSTRUMENTS[instrument_id]
    assert [i["linkId"] for i in resource["item"]] == list(instrument.item_ids)
    assert resource["copyright"] == instrument.licence.notice


def test_odi_questionnaire_has_six_coded_statements_per_section():
    items = build.questionnaire(INSTRUMENTS["odi"])["item"]
    assert len(items) == 10
    codes_ = [o["valueCoding"]["code"] for o in items[0]["answerOption"]]
    assert codes_ == ["0", "1", "2", "3", "4", "5"]
    assert items[0]["answerOption"][0]["valueCoding"]["system"] == (
        f"{CANONICAL}/CodeSystem/odi-answer"
    )


def test_nrs_questionnaire_items_are_integers_0_to_10():
    item = build.questionnaire(INSTRUMENTS["nrs"])["item"][0]
    assert item["type"] == "integer"
    assert item["extension"] == [
        {"url": codes.EXT_MIN_VALUE, "valueInteger": 0},
        {"url": codes.EXT_MAX_VALUE, "valueInteger": 10},
    ]


def test_promis_items_carry_loinc_codes_against_mii_pro_questionnaire():
    """PROMIS-29 item PFA11 is LOINC 61597-1 in the MII PRO Questionnaire (instruments.md §4.4,
    as recorded in promis29.json)."""
    item = build.questionnaire(INSTRUMENTS["promis29"])["item"][0]
    assert item["code"][0]["system"] == "http://loinc.org"
    assert item["code"][0]["code"] == "61597-1"


@pytest.mark.parametrize(
    ("measure", "system", "code"),
    [
        ("odi", "http://loinc.org", "97909-6"),
        ("nrs_back", "http://loinc.org", "72514-3"),
        ("nrs_leg", "http://loinc.org", "72514-3"),
        ("eq5d5l_index", "http://snomed.info/sct", "736534008"),
        ("eq5d_vas", "http://snomed.info/sct", "736535009"),
        ("promis_pi_t", "http://loinc.org", "77865-4"),
    ],
)
def test_score_codes_against_verified_facts_section_12(measure, system, code):
    """verified-facts.md §12 / instruments.md §7: ODI 97909-6 (PACIO IG), NRS 72514-3, EQ-5D-5L
    index SNOMED 736534008 and EQ VAS 736535009 (MII PRO IG), PROMIS PI T-score 77865-4."""
    coding = build.score_infos()[measure].code["coding"]
    assert {"system": system, "code": code} in [
        {"system": c["system"], "code": c["code"]} for c in coding
    ]
    assert coding[-1] == {
        "system": codes.CS_SCORE,
        "code": measure,
        "display": build.score_infos()[measure].definition.label,
    }


def test_scores_without_a_sourced_code_use_only_the_fusiontrack_code_system():
    coding = build.score_infos()["comi"].code["coding"]
    assert [c["system"] for c in coding] == [codes.CS_SCORE]


def test_every_category_score_has_a_numeric_host():
    categories = {s.id for i in INSTRUMENTS.values() for s in i.scores if s.type == "category"}
    assert categories == set(codes.CATEGORY_HOSTS)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ("L4-L5", ["11994002", "49668003", "84020006"]),
        ("L5-S1", ["49668003", "54735007", "715056000"]),
        ("L4-S1", ["11994002", "49668003", "54735007", "84020006", "715056000"]),
        ("L3-L4", ["36470004", "11994002", "L3-L4-disc"]),
        ("other", ["other"]),
    ],
)
def test_body_sites_against_dicom_cid_7603_7604(levels, expected):
    """SNOMED CT vertebra and disc codes from DICOM CID 7603/7604 (instruments.md §7); the sacrum
    stands for S1 (no S1 code found); L3/L4 disc has none: fusiontrack code."""
    assert [c.code for c in codes.body_sites(levels)] == expected


def test_built_clinical_resources_validate_and_round_trip(anna):
    rows = [
        *(build.patient(r) for r in catalog.PATIENT.queryset([anna.patient.site_id])),
        *catalog.CONDITION.build_page(list(catalog.CONDITION.queryset([anna.patient.site_id]))),
        *catalog.PROCEDURE.build_page(list(catalog.PROCEDURE.queryset([anna.patient.site_id]))),
        *catalog.OBSERVATION.build_page(list(catalog.OBSERVATION.queryset([anna.patient.site_id]))),
        *catalog.QUESTIONNAIRE_RESPONSE.build_page(
            list(catalog.QUESTIONNAIRE_RESPONSE.queryset([anna.patient.site_id]))
        ),
        *catalog.CARE_PLAN.build_page(list(catalog.CARE_PLAN.queryset([anna.patient.site_id]))),
    ]
    kinds = {r["resourceType"] for r in rows}
    assert kinds == {
        "Patient",
        "Condition",
        "Procedure",
        "Observation",
        "QuestionnaireResponse",
        "CarePlan",
    }
    for resource in rows:
        assert validate.round_trip(resource) == json.loads(json.dumps(resource))


def test_procedure_of_anna_is_spinal_fusion_at_l4_l5(anna):
    procedure = catalog.PROCEDURE.build_page([anna.operation])[0]
    assert procedure["code"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "55705006",
        "display": "Spinal fusion",
    }
    assert procedure["code"]["coding"][1]["code"] == "tlif"
    sites = [b["coding"][0]["code"] for b in procedure["bodySite"]]
    assert sites == ["11994002", "49668003", "84020006"]
    assert procedure["performer"][0]["actor"]["display"] == "Sofia Lind"


def test_odi_observation_has_value_unit_band_and_its_response(anna):
    from fusiontrack.registry.models import Score

    score = Score.objects.select_related("response").get(
        episode=anna.episode, measure="odi", timepoint="baseline"
    )
    resource = catalog.OBSERVATION.build_page([score])[0]
    assert resource["valueQuantity"] == {
        "value": 46.0,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert (
        resource["interpretation"][0]["coding"][0]["code"] == "severe"
    )  # 41–60 % (odi.json bands)
    assert resource["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{score.response_id}"}]
    assert resource["category"][0]["coding"][0]["code"] == "survey"


def test_care_plan_lists_every_follow_up_window(anna):
    episode = catalog.CARE_PLAN.queryset([anna.patient.site_id]).get(pk=anna.episode.pk)
    plan = catalog.CARE_PLAN.build_page([episode])[0]
    timepoints = [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"]]
    assert timepoints == ["baseline", "6w", "3m", "6m", "12m", "24m"]
    assert plan["period"]["start"] == anna.episode.surgery_date.isoformat()


def test_capability_statement_declares_r4_and_json_only():
    statement = capability_statement("http://testserver/fhir")
    validate.validate(statement)
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["json"]
    types = [r["type"] for r in statement["rest"][0]["resource"]]
    assert set(types) == {*catalog.SERVED, "Questionnaire"}


def test_invalid_resource_names_the_element():
    with pytest.raises(validate.InvalidResource) as caught:
        validate.validate(
            {"resourceType": "Observation", "code": {"text": "x"}, "effectiveDateTime": "2024-13"}
        )
    assert [w for w, _ in caught.value.issues] == ["Observation.effectiveDateTime"]
    with pytest.raises(validate.InvalidResource) as caught:
        validate.validate({"resourceType": "Observation", "code": {"text": "x"}})
    assert caught.value.issues == [
        ("Observation.status", "Value for the field 'status' is required.")
    ]


def test_r4b_only_resource_types_are_refused():
    with pytest.raises(validate.InvalidResource, match="does not exist in FHIR R4"):
        validate.validate({"resourceType": "SubscriptionTopic"})


def test_only_the_fhir_package_imports_fhir_resources():
    """STYLE.md practice 14: FHIR is an adapter; fhir.resources stays inside fusiontrack/fhir/."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "fusiontrack"
    importers = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "fhir" or n.startswith("fhir.") for n in names):
                importers.add(str(path.relative_to(root)))
    # validate.model_class loads the R4B models by name; nothing imports them statically.
    assert importers == set()
    assert validate.model_class("Patient").__module__ == "fhir.resources.R4B.patient"


def test_canonical_base_is_a_setting_with_a_placeholder_default(settings, monkeypatch):
    """RFC 2606 reserves .example: the default names no one's domain."""
    monkeypatch.delenv("FUSIONTRACK_FHIR_CANONICAL_BASE", raising=False)
    settings.FUSIONTRACK_FHIR_CANONICAL_BASE = None
    assert codes.canonical_base() == "https://fusiontrack.example/fhir"
    settings.FUSIONTRACK_FHIR_CANONICAL_BASE = "https://registry.spine.example/fhir/"
    assert codes.canonical_base() == "https://registry.spine.example/fhir"
    settings.FUSIONTRACK_FHIR_CANONICAL_BASE = None
    monkeypatch.setenv("FUSIONTRACK_FHIR_CANONICAL_BASE", "https://env.example/fhir")
    assert codes.canonical_base() == "https://env.example/fhir"
    monkeypatch.setenv("FUSIONTRACK_FHIR_CANONICAL_BASE", "fusiontrack")
    with pytest.raises(ValueError, match="absolute http"):
        codes.canonical_base()


def test_served_urls_use_the_canonical_base():
    questionnaire = build.questionnaire(INSTRUMENTS["odi"])
    assert questionnaire["url"] == f"{CANONICAL}/Questionnaire/odi"
    assert f"{CANONICAL}/CodeSystem/score" == codes.CS_SCORE
