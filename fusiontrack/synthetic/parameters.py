"""The generating parameters of the synthetic cohort, as data, each with its source.

Tests read these values back out of a generated cohort, the README and the demo cite them, and
anyone changing a distribution changes it here, once. Every number carries where it comes from:

* ``status="SRC"``: the value (or the figure it is computed from) was read in the cited source;
* ``status="COMPUTED"``: derived arithmetically from sourced figures (derivation in ``note``);
* ``status="ASSUMPTION"``: **SOURCE MISSING** — no public source was found; the value is a
  plausible assumption chosen to make the demo and the analytics realistic. Never quote these
  as clinical facts.

The cohort is synthetic. Its purpose is software testing, demonstration and benchmarking; it is
not a model of any real population and must not be used to estimate anything about patients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["SRC", "COMPUTED", "ASSUMPTION"]
SOURCE_MISSING = "SOURCE MISSING: assumption"

# Short names for the sources used more than once (full references in SOURCES below).
PEARSON_2010 = "pearson2010"
PARKER_2011 = "parker2011"
SSSS_2022 = "ssss2022"
SPAIN_2022 = "spain2022"
QOD_LDH_2021 = "qod_ldh2021"
HSSJ_2025 = "hssj2025"
TLIF_SINGLE_SURGEON = "tlif_single_surgeon"
PARAI_2020_ATTRITION = "parai2020_attrition"
KAUR_2023 = "kaur2023"

SOURCES: dict[str, str] = {
    PEARSON_2010: (
        "Pearson A, Blood E, Lurie J, et al. Degenerative spondylolisthesis versus spinal "
        "stenosis: does a slip matter? Comparison of baseline characteristics and outcomes "
        "(SPORT). Spine 2010;35(3):298–305. doi:10.1097/BRS.0b013e3181bdafd1 (PMC2887281)"
    ),
    PARKER_2011: (
        "Parker SL, Adogwa O, Paul AR, et al. Utility of minimum clinically important "
        "difference in assessing pain, disability, and health state after transforaminal lumbar "
        "interbody fusion for degenerative lumbar spondylolisthesis. J Neurosurg Spine "
        "2011;14(5):598–604. doi:10.3171/2010.12.SPINE10472 (shared/notes/instruments.md §8.2)"
    ),
    SSSS_2022: (
        "Swedish Spinal Stenosis Study: decompression alone or with fusion for lumbar spinal "
        "stenosis, randomized trial with two-year MRI follow-up. Bone Joint J "
        "2022;104-B(12). doi:10.1302/0301-620X.104B12.BJJ-2022-0340.R1, Table II (PMC9680197); "
        "authors not captured"
    ),
    SPAIN_2022: (
        "Degenerative lumbar surgery cohort (Spain, n=486). BMC Musculoskelet Disord 2022. "
        "doi:10.1186/s12891-022-05460-0 (shared/notes/instruments.md §8.2)"
    ),
    QOD_LDH_2021: (
        "Return to work in patients with lumbar disc herniation undergoing fusion (Quality "
        "Outcomes Database). J Orthop Surg Res 2021. doi:10.1186/s13018-021-02682-1, Table 1 "
        "and abstract; authors not captured"
    ),
    HSSJ_2025: (
        "Surgical site infection after posterior lumbar instrumented fusions (1,382 one- or "
        "two-level operations, single academic institution 2019–2022). HSS J 2025. "
        "doi:10.1177/15563316251348440; authors not captured"
    ),
    TLIF_SINGLE_SURGEON: (
        "Single-surgeon comparison of single-level open TLIF (n=31) and MI-TLIF (n=27), "
        "Szent György University Teaching Hospital, Székesfehérvár / Semmelweis University, "
        "2013–2018 (abstract via globalauthorid.com); journal citation not captured"
    ),
    PARAI_2020_ATTRITION: (
        "Parai C, Hägg O, Willers C, Lind B, Brisby H. Characteristics and predicted outcome of "
        "patients lost to follow-up after degenerative lumbar spine surgery. Eur Spine J "
        "2020;29(12):3063–3073. doi:10.1007/s00586-020-06528-y"
    ),
    KAUR_2023: (
        "Kaur S, Alhaug OK, Dolatowski FC, Solberg TK, Lønne G. Characteristics and outcomes of "
        "patients who did not respond to a national spine surgery registry. BMC Musculoskelet "
        "Disord 2023. doi:10.1186/s12891-023-06267-3"
    ),
}


@dataclass(frozen=True)
class Parameter:
    """One generating parameter: its value, where it comes from, and how sure that is."""

    value: Any
    source: str
    status: Status
    note: str = ""


def _src(value: Any, source: str, note: str = "") -> Parameter:
    return Parameter(value, SOURCES.get(source, source), "SRC", note)


def _computed(value: Any, source: str, note: str) -> Parameter:
    return Parameter(value, SOURCES.get(source, source), "COMPUTED", note)


def _assumed(value: Any, note: str = "") -> Parameter:
    return Parameter(value, SOURCE_MISSING, "ASSUMPTION", note)


PARAMETERS: dict[str, Parameter] = {
    # --- who is in the cohort ------------------------------------------------------------------
    "accrual_days": _assumed(
        4 * 365,
        "Design choice, not clinical: first visits spread uniformly over the 4 years before "
        "as_of, so the cohort holds every stage from evaluation to 24-month follow-up.",
    ),
    "diagnosis_mix": _assumed(
        {
            "degenerative_spondylolisthesis": 0.35,
            "degenerative_disc_disease": 0.20,
            "spinal_stenosis": 0.12,
            "isthmic_spondylolisthesis": 0.10,
            "recurrent_disc_herniation": 0.08,
            "instability": 0.05,
            "pseudarthrosis_revision": 0.05,
            "other": 0.05,
        },
        "No registry table of primary indications for lumbar fusion was retrieved.",
    ),
    # (mean, sd) of age at first visit by primary diagnosis
    "age_by_diagnosis": Parameter(
        {
            "degenerative_spondylolisthesis": (66.1, 7.5),
            "spinal_stenosis": (64.6, 9.0),
            "recurrent_disc_herniation": (48.6, 11.1),
            "degenerative_disc_disease": (45.0, 10.0),
            "isthmic_spondylolisthesis": (45.0, 13.0),
            "instability": (55.0, 12.0),
            "pseudarthrosis_revision": (60.0, 11.0),
            "other": (55.0, 13.0),
        },
        f"DS mean 66.1 and stenosis 64.6: {SOURCES[PEARSON_2010]}; DS SD 7.5 and stenosis SD 9 "
        f"from {SOURCES[SSSS_2022]} (fusion arms 67 (7) and 65 (9)); recurrent disc herniation "
        f"48.61 (11.07): {SOURCES[QOD_LDH_2021]}; other diagnoses: {SOURCE_MISSING}",
        "SRC",
        "Mixed: DS, stenosis and recurrent herniation sourced; DDD, isthmic, instability, "
        "revision and other are assumptions.",
    ),
    "age_range": _assumed((18, 90), "Clip of the age distribution to adults."),
    "female_fraction": Parameter(
        {
            "degenerative_spondylolisthesis": 0.69,
            "spinal_stenosis": 0.39,
            "recurrent_disc_herniation": 0.41,
            "default": 0.50,
        },
        f"DS 69 % and stenosis 39 %: {SOURCES[PEARSON_2010]}; recurrent herniation with fusion "
        f"41 % (59 % male): {SOURCES[QOD_LDH_2021]}; other diagnoses 50 %: {SOURCE_MISSING}",
        "SRC",
    ),
    "smoking_current": Parameter(
        0.18,
        f"{SOURCES[SSSS_2022]}: 16 % smokers (DS, fusion arm); {SOURCES[KAUR_2023]}: 21 % of "
        "respondents and 30 % of non-respondents smoked. 0.18 is chosen between them.",
        "SRC",
    ),
    "smoking_former": _assumed(0.30),
    "smoking_age_odds_ratio_per_decade": _assumed(
        0.75,
        "Direction sourced (smokers are younger: QOD degenerative lumbar surgery, J Neurosurg "
        "Spine, as summarised by Becker's Spine Review); the magnitude is an assumption.",
    ),
    "bmi_mean_sd": _src((28.7, 5.67), HSSJ_2025, "mean 28.7 ± 5.67 kg/m²"),
    "bmi_range": _assumed((17.0, 55.0)),
    "height_cm_by_sex": _assumed({"female": (163.0, 7.0), "male": (177.0, 7.5)}),
    "diabetes_fraction": _assumed(0.15, "More likely with BMI ≥ 30: odds × 1.8 (assumption)."),
    "diabetes_obesity_odds_ratio": _assumed(1.8),
    "hba1c_mean_sd": _assumed({"diabetic": (7.1, 1.1), "non_diabetic": (5.4, 0.3)}),
    "hba1c_measured_if_not_diabetic": _assumed(0.3),
    "asa_class_fractions": Parameter(
        {"1": 0.15, "2": 0.68, "3": 0.165, "4": 0.005},
        f"{SOURCES[SSSS_2022]}: ASA 1 or 2 in 82–87 %, ASA 3 in 13–24 % across arms. The split "
        f"of ASA 1 vs 2 and the ASA 4 share: {SOURCE_MISSING}",
        "SRC",
    ),
    "anticoagulant_fraction": _assumed(0.05),
    "antiplatelet_fraction": _assumed(0.10),
    "bone_density_measured_fraction": _assumed(0.6, "Measured in women ≥ 50 and anyone ≥ 65 only."),
    "bone_density_t_score_mean_sd": _assumed((-1.2, 1.1)),
    "pain_dominance_by_diagnosis": _assumed(
        {
            "degenerative_spondylolisthesis": {"leg": 0.55, "back": 0.25, "equal": 0.20},
            "spinal_stenosis": {"leg": 0.65, "back": 0.15, "equal": 0.20},
            "recurrent_disc_herniation": {"leg": 0.60, "back": 0.20, "equal": 0.20},
            "degenerative_disc_disease": {"leg": 0.10, "back": 0.70, "equal": 0.20},
            "isthmic_spondylolisthesis": {"leg": 0.40, "back": 0.40, "equal": 0.20},
            "default": {"leg": 0.35, "back": 0.40, "equal": 0.25},
        }
    ),
    "symptom_duration_months_median": _assumed(24.0, "Log-normal, sigma 0.7, at least 3 months."),
    "meyerding_by_diagnosis": _assumed(
        {
            "degenerative_spondylolisthesis": {"I": 0.80, "II": 0.20},
            "isthmic_spondylolisthesis": {"I": 0.55, "II": 0.33, "III": 0.10, "IV": 0.02},
        },
        "Grades per Meyerding 1932 as tabulated in core.vocab; the mix is an assumption.",
    ),
    "levels_by_diagnosis": Parameter(
        {
            "degenerative_spondylolisthesis": {
                "L4-L5": 0.62,
                "L3-L4": 0.07,
                "L4-S1": 0.20,
                "L3-L5": 0.11,
            },
            "isthmic_spondylolisthesis": {"L5-S1": 0.80, "L4-L5": 0.10, "L4-S1": 0.10},
            "default": {"L4-L5": 0.40, "L5-S1": 0.29, "L4-S1": 0.22, "L3-L5": 0.09},
        },
        f"Single-level share 0.69 for DS: {SOURCES[SSSS_2022]} (69 % one level in the DS "
        f"fusion arm). Which levels: {SOURCE_MISSING}",
        "SRC",
        "Two-level codes (L4-S1, L3-L5) make up 31 % in every row.",
    ),
    # --- the pathway ---------------------------------------------------------------------------
    "conservative_care_days_median": Parameter(
        150,
        "Minimum 84 days (12 weeks) sourced: SPORT DS enrolled patients with at least twelve "
        "weeks of symptoms (Abdu WA et al. Spine 2018;43(23):1619–1630, PMC6185822) and "
        "NORDSTEN-DS required at least 3 months of conservative care (Austevoll IM et al. "
        f"N Engl J Med 2021;385:526–538). Median 150 days, sigma 0.5: {SOURCE_MISSING}",
        "SRC",
    ),
    "conservative_care_days_min": _src(84, "SPORT DS / NORDSTEN-DS inclusion (see above)"),
    "decision_to_surgery_days_median": _assumed(50, "Log-normal, sigma 0.4, 14–180 days."),
    "withdrawn_before_surgery": _assumed(
        0.06, "Improved with conservative care, declined surgery or moved away."
    ),
    "conservative_care_probabilities": _assumed(
        {
            "physical_therapy": 0.90,
            "nsaids": 0.80,
            "neuropathic_agents": 0.40,
            "opioids": 0.30,
            "epidural_steroid_injection": 0.45,
            "facet_medial_branch": 0.15,
            "bracing": 0.10,
            "manual_therapy": 0.20,
            "weight_loss": 0.30,
            "smoking_cessation": 0.50,
        },
        "Weight loss only offered at BMI ≥ 30, smoking cessation only to current smokers.",
    ),
    "conservative_care_response": _assumed(
        {"none": 0.45, "partial": 0.40, "good": 0.05, "worse": 0.05, "unknown": 0.05}
    ),
    "imaging_probabilities": _assumed(
        {
            "mri": 1.0,
            "xray": 0.85,
            "flexion_extension_listhesis": 0.90,
            "flexion_extension_other": 0.30,
            "ct": 0.25,
        }
    ),
    "decision_imaging_concordant": _assumed(0.96),
    "decision_shared_documented": _assumed(0.90),
    # --- the operation -------------------------------------------------------------------------
    "approach_by_diagnosis": Parameter(
        {
            "degenerative_spondylolisthesis": {
                "posterolateral": 0.41,
                "tlif": 0.37,
                "plif": 0.08,
                "llif": 0.07,
                "olif": 0.04,
                "alif": 0.03,
            },
            "degenerative_disc_disease": {
                "alif": 0.30,
                "tlif": 0.30,
                "plif": 0.15,
                "posterolateral": 0.15,
                "llif": 0.05,
                "olif": 0.05,
            },
            "default": {
                "tlif": 0.45,
                "posterolateral": 0.20,
                "plif": 0.12,
                "alif": 0.10,
                "llif": 0.08,
                "olif": 0.05,
            },
        },
        "DS: 41 % posterolateral without interbody (8 % uninstrumented + 33 % instrumented PLF) "
        "and 59 % with interbody among fused DS in ACS-NSQIP 2005–2014 (Bovonratwet P, Webb ML, "
        "Ondeck NT, et al. Int J Spine Surg 2019;13(2):169). DDD: anterior approaches ≈ 30 % "
        "(ALIF 16.8 % + combined anterior–posterior 13.6 %, NIS 2000–2009: National trends in the "
        "surgical treatment for lumbar degenerative disc disease, Spine J 2015;15(2):265–271, "
        "doi:10.1016/j.spinee.2014.09.026). The split between interbody approaches: "
        f"{SOURCE_MISSING}",
        "SRC",
    ),
    "mis_fraction_posterior": _src(
        0.276,
        HSSJ_2025,
        "MIS 27.6 %, mini-open 33.1 %, open 39.3 % of posterior instrumented fusions; "
        "mini-open is recorded as open here. Lateral approaches (LLIF, OLIF) are always MIS, "
        "ALIF always open (assumption).",
    ),
    "decompression_probability": _assumed(
        {"stenotic": 0.95, "default": 0.50},
        "stenotic = degenerative spondylolisthesis, spinal stenosis, recurrent disc herniation.",
    ),
    "instrumented_posterolateral": _computed(
        0.80,
        "Bovonratwet P et al. Int J Spine Surg 2019;13(2):169",
        "33 % instrumented of 41 % posterolateral ≈ 0.80.",
    ),
    "graft_probabilities": _assumed(
        {
            "local_autograft": 0.85,
            "allograft": 0.35,
            "iliac_crest_autograft": 0.05,
            "bmp2": 0.08,
            "synthetic": 0.25,
        }
    ),
    "cage_material_mix": _assumed(
        {
            "peek": 0.55,
            "titanium": 0.25,
            "titanium_coated_peek": 0.15,
            "carbon": 0.02,
            "allograft": 0.03,
        }
    ),
    "navigation_fraction": _assumed(0.20),
    "robot_fraction": _assumed(0.05),
    "duration_minutes_one_level": _src(
        {"open": (160.0, 33.6), "mis": (161.2, 33.7)},
        TLIF_SINGLE_SURGEON,
        "Operative time O-TLIF 160 ± 33.6, MI-TLIF 161.2 ± 33.7 minutes.",
    ),
    "duration_minutes_extra_level": _assumed(45.0),
    "blood_loss_ml_one_level": _src(
        {"open": (682.3, 465.4), "mis": (288.9, 339.8)},
        TLIF_SINGLE_SURGEON,
        "Consistent with the meta-analysis of Sun ZJ et al. Chin Med J 2013;126(20):3962 "
        "(MIS −233 ml). Drawn log-normal with these means and SDs.",
    ),
    "blood_loss_extra_level_factor": _assumed(1.4),
    "length_of_stay_days": _src(
        {"open": (5.0, 2.7), "mis": (2.7, 1.1)},
        TLIF_SINGLE_SURGEON,
        "Consistent with Sun ZJ et al. Chin Med J 2013;126(20):3962 (MIS −2.11 days). "
        "Minimum one night.",
    ),
    "in_hospital_mortality": _src(
        0.002,
        "Pumberger M, Chiu YL, Ma Y, et al. Perioperative mortality after lumbar spinal fusion "
        "surgery: an analysis of epidemiology and risk factors. Eur Spine J 2012;21(8):1633–1639 "
        "(NIS 1998–2008: 0.2 %)",
    ),
    "discharge_destinations": _assumed(
        {"home": 0.85, "home_with_services": 0.07, "rehabilitation": 0.05, "nursing_facility": 0.03}
    ),
    # --- complications (probability per operated patient within 2 years) -------------------------
    "ssi_probability": _src(
        {"open": 0.013, "mis": 0.003},
        HSSJ_2025,
        "SSI open 1.3 %, MIS 0.3 % (0.94 % overall). Split superficial/deep 50/50: assumption.",
    ),
    "ssi_risk_ratio_diabetes": _src(
        2.19,
        "Zhang L, Li EN. Risk factors for surgical site infection following lumbar spinal "
        "surgery: a meta-analysis. Ther Clin Risk Manag 2018;14:2161–2169",
    ),
    "ssi_risk_ratio_obesity": _src(2.87, "Zhang L, Li EN. Ther Clin Risk Manag 2018;14:2161–2169"),
    "ssi_reoperation_fraction": _src(
        0.92, HSSJ_2025, "12 of 13 SSIs had irrigation and debridement."
    ),
    "durotomy_probability": Parameter(
        0.06,
        "Incidental durotomy occurs in 3–27 % of lumbar spine surgeries (J Neurol Surg A Cent "
        "Eur Neurosurg 2020, TLIF durotomy study, abstract). 6 % within that range: "
        f"{SOURCE_MISSING}",
        "SRC",
    ),
    "complication_probabilities": _assumed(
        {
            "neuro_deficit": 0.02,
            "nerve_root_injury": 0.01,
            "dvt_pe": 0.005,
            "urinary_retention": 0.04,
            "hardware_failure": 0.02,
            "adjacent_segment_disease": 0.03,
            "wound_dehiscence": 0.01,
            "other": 0.02,
        },
        "Cross-check only: one or more intra- or early post-operative complications in 23 % "
        "of 872 lumbar/lumbosacral fusions (Rev Chir Orthop 2004;90(1):5–15) and 12–40 % by "
        "technique at 2 years (Fritzell P et al., Swedish Lumbar Spine Study Group).",
    ),
    "readmission_30d_probability": Parameter(
        0.08,
        "30-day rehospitalisation 7.8 % after decompression and 13.0 % after complex fusion in "
        "Medicare patients with stenosis (Deyo RA et al. JAMA 2010, jamanetwork.com/journals/jama/"
        f"fullarticle/185630). 8 % for one- and two-level fusion in all ages: {SOURCE_MISSING}",
        "SRC",
    ),
    "clavien_dindo_if_not_reoperated": _assumed(
        {
            "ssi_superficial": {"I": 0.4, "II": 0.6},
            "ssi_deep": {"II": 0.9, "IVa": 0.1},
            "durotomy": {"I": 0.85, "II": 0.15},
            "neuro_deficit": {"I": 0.5, "II": 0.5},
            "nerve_root_injury": {"I": 0.5, "II": 0.5},
            "dvt_pe": {"II": 0.85, "IVa": 0.15},
            "urinary_retention": {"I": 0.7, "II": 0.3},
            "hardware_failure": {"I": 0.6, "II": 0.4},
            "non_union": {"I": 0.8, "II": 0.2},
            "adjacent_segment_disease": {"I": 0.4, "II": 0.6},
            "wound_dehiscence": {"I": 0.4, "IIIa": 0.6},
            "readmission": {"II": 0.85, "IIIa": 0.15},
            "other": {"I": 0.5, "II": 0.5},
        },
        "Grade definitions: Dindo D, Demartines N, Clavien PA. Ann Surg 2004;240(2):205–213. "
        "A complication that leads to a reoperation (under general anaesthesia) is graded IIIb; "
        "an in-hospital death V. The mix for the others is an assumption.",
    ),
    "complication_reported_by_patient": _assumed(0.25),
    # --- fusion and reoperation ----------------------------------------------------------------
    "fusion_rate_final": _src(
        0.891,
        "Phillips FM, Slosar PJ, Youssef JA, Andersson G, Papatheofanis F. Lumbar spine fusion "
        "for chronic low back pain due to degenerative disc disease: a systematic review. "
        "Spine 2013;38(7):E409–E422 (radiographic fusion 89.1 %)",
    ),
    "non_fusion_odds_ratio_smoker": _assumed(2.0, "Direction is well known; magnitude assumed."),
    "fusion_assessment_schedule": _assumed(
        {"6m": 0.70, "12m": 0.85, "24m": 0.60},
        "Share of operated patients imaged at each time point; CT in half of 12-month studies.",
    ),
    "fused_by_6m_if_eventually_fused": _assumed(0.55),
    "fused_by_12m_if_eventually_fused": _assumed(0.90),
    "reoperation_given_complication": _assumed(
        {
            "hardware_failure": 0.70,
            "non_union": 0.40,
            "adjacent_segment_disease": 0.30,
            "wound_dehiscence": 0.20,
        },
        "Deep SSI: ssi_reoperation_fraction. Cross-check: 4-year cumulative reoperation "
        "14.0 % after lumbar surgery for degenerative disease in Washington State 1997–2000 "
        "(Martin BI, Mirza SK, Comstock BA, et al. Spine 2007).",
    ),
    # --- return to work ------------------------------------------------------------------------
    "employed_before_surgery_under_65": _assumed(0.60),
    "return_to_work_by_3m": _src(0.66, QOD_LDH_2021, "66 % at 3 months after fusion."),
    "return_to_work_by_12m": _src(0.82, QOD_LDH_2021, "82 % at 12 months after fusion."),
    # --- questionnaires ------------------------------------------------------------------------
    "instrument_schedule": _assumed(
        {
            "baseline": ("odi", "nrs", "eq5d5l", "comi_back"),
            "6w": ("nrs", "comi_back"),
            "3m": ("odi", "nrs", "eq5d5l"),
            "6m": ("odi", "nrs"),
            "12m": ("odi", "nrs", "eq5d5l", "comi_back"),
            "24m": ("odi", "nrs", "eq5d5l", "comi_back"),
        },
        "A registry protocol, not a clinical fact: short questionnaires early, the full set "
        "at baseline, 12 and 24 months.",
    ),
    "baseline_days_before_surgery": _src(
        (3, 60),
        "Baseline within 90 days before surgery: fusiontrack issue 2 §5; 3–60 days is the "
        "uniform draw used here (assumption within that window).",
    ),
    "baseline_missing": _assumed(0.05, "So the worklist has 'missing baseline' patients."),
    "response_delay_days": _assumed(
        {"6w": (-7, 14), "3m": (-10, 21), "6m": (-14, 30), "12m": (-21, 45), "24m": (-30, 60)},
        "Uniform days from the due date; stays inside every reasonable window.",
    ),
    "missed_followup_fraction": _src(
        0.25,
        PARAI_2020_ATTRITION,
        "'approximately 25 % non-respondents at follow-up at one year' in Swespine "
        "(introduction); NORspine lost 30 % at 12 months (Kaur 2023).",
    ),
    "missed_by_timepoint": _assumed(
        {"6w": 0.20, "3m": 0.22, "6m": 0.25, "12m": 0.27, "24m": 0.31},
        "Averages 0.25 over the five follow-ups: attrition grows with time.",
    ),
    "missed_smoker_odds_ratio": _computed(
        1.62,
        KAUR_2023,
        "Non-respondents smoked more (30 % vs 21 %) at a 30 % non-response: "
        "P(miss|smoker) = 0.3·0.30/0.237 = 0.38, P(miss|non-smoker) = 0.3·0.70/0.763 = 0.275, "
        "odds ratio (0.38/0.62)/(0.275/0.725) ≈ 1.62.",
    ),
    "missed_age_log_odds_per_decade": _computed(
        -0.43,
        KAUR_2023,
        "Non-respondents were 4.7 years younger (63 vs 68, SD ≈ 10.5): for a logistic model with "
        "a roughly normal covariate the mean difference ≈ β·σ², so β ≈ −4.7/110 per year.",
    ),
    "missed_patient_random_effect_sd": _assumed(
        1.0, "Patients who miss one follow-up tend to miss others (logit scale)."
    ),
    "entry_mode_mix": _assumed({"patient": 0.70, "staff": 0.20, "phone": 0.10}),
    "odi_baseline_mean_sd": Parameter(
        (46.0, 15.0),
        f"{SOURCES[SPAIN_2022]}: 42.2 ± 16.4; {SOURCES[QOD_LDH_2021]}: 47.67 ± 14.95; "
        f"{SOURCES[SSSS_2022]}: 41 (13) in the DS fusion arm. 46 ± 15 sits within these.",
        "SRC",
    ),
    "odi_change_24m_mean_sd": _src(
        (-19.5, 11.3), PARKER_2011, "2-year ODI improvement 19.5 ± 11.3 after TLIF for grade I DS."
    ),
    "odi_change_ratio_24m_to_12m": _computed(
        0.95,
        PEARSON_2010,
        "SPORT DS surgical ODI change −25.9 at 1 year and −24.7 at 2 years: 24.7/25.9 ≈ 0.95.",
    ),
    "odi_change_baseline_slope": _assumed(
        0.3, "Higher baseline, larger improvement: change += −0.3 × (baseline − mean)."
    ),
    "trajectory_fraction_of_12m_change": _assumed(
        {"6w": 0.40, "3m": 0.70, "6m": 0.85, "12m": 1.00, "24m": 0.95},
        "Shape of recovery; 24m/12m from SPORT (see odi_change_ratio_24m_to_12m).",
    ),
    "visit_noise_sd_odi": _assumed(
        3.0,
        "Day-to-day variation of a patient's ODI around their trajectory. The latent change SD "
        "is reduced by this noise (twice: baseline and follow-up) so the observed change SD "
        "stays at the cited 11.3.",
    ),
    "visit_noise_sd_nrs": _assumed(0.8),
    "floor_calibration": _assumed(
        True,
        "Scores cannot go below 0, so a change drawn around the cited mean would be truncated "
        "for patients who start low. The latent 24-month change is scaled (one factor per "
        "measure, found by bisection on the cohort) so the mean change after clipping to the "
        "scale equals the cited mean. Realised SDs are then somewhat below the cited ones for "
        "the pain scales.",
    ),
    "outcome_modifier_age_over_67": _computed(
        0.75,
        "Pearson AM, Lurie JD, Tosteson TD, et al. Who should undergo surgery for degenerative "
        "spondylolisthesis? Treatment effect predictors in SPORT. Spine 2013;38(21):1799–1811",
        "Treatment effect −11.8 (age > 67) vs −15.7 (≤ 67): 11.8/15.7 ≈ 0.75. Used as a ratio of "
        "improvements, which is an assumption (the paper compares surgery with nonoperative care).",
    ),
    "outcome_modifier_male": _computed(
        0.72,
        "Pearson AM et al. Spine 2013;38(21):1799–1811",
        "Treatment effect −11.2 (male) vs −15.6 (female): 11.2/15.6 ≈ 0.72 (same caveat).",
    ),
    "outcome_modifier_non_union": _assumed(0.6),
    "outcome_latent_correlation": _assumed(
        0.6, "How strongly one patient's improvements agree across instruments."
    ),
    "nrs_back_baseline_mean_sd": _src((6.6, 2.6), SPAIN_2022, "NPRS back 6.6 (± 2.6)"),
    "nrs_leg_baseline_mean_sd": _src((6.2, 2.9), SPAIN_2022, "NPRS leg 6.2 (± 2.9)"),
    "nrs_back_change_24m_mean_sd": _src(
        (-4.3, 2.9), PARKER_2011, "Back-pain VAS 4.3 ± 2.9 (0–10 scale) at 2 years."
    ),
    "nrs_leg_change_24m_mean_sd": _src(
        (-3.8, 3.4), PARKER_2011, "Leg-pain VAS 3.8 ± 3.4 (0–10 scale) at 2 years."
    ),
    "nrs_dominance_shift": _assumed(1.0, "Dominant side +1, other side −1 on the 0–10 scale."),
    "odi_item_offsets": _assumed(
        (0.3, -0.8, 0.8, 0.0, 0.2, 0.4, -0.3, 0.3, 0.2, -0.1),
        "Section 1–10 offsets from the mean item level (lifting hardest, personal care easiest); "
        "centred before use. Item noise SD 0.6; the rounded items are then adjusted one step at "
        "a time so their sum equals the visit's latent ODI / 2 exactly.",
    ),
    "odi_section8_skipped": _assumed(
        0.08, "Sex life is the section most often left blank; ODI allows one missing section."
    ),
    "eq5d_dimension_weights": _assumed(
        {"mo": 1.0, "sc": 0.7, "ua": 1.0, "pd": 1.3, "ad": 0.6},
        "Level = 1 + 4 × (ODI/100) × weight + noise (SD 0.6). Cross-check only: EQ-5D(-3L) "
        "improved 0.43 ± 0.44 at 2 years in Parker 2011.",
    ),
    "eq5d_vas_from_odi": _assumed((85.0, -0.7, 12.0), "VAS = 85 − 0.7 × ODI + N(0, 12)."),
    "comi_item_offsets": _assumed(
        {"function": 0.3, "wellbeing": 0.6, "qol": 0.0, "social": 0.1, "work": -0.2},
        "5-point items: option = ODI/22 + offset + noise (SD 0.6), clipped to 0–4.",
    ),
}


def value(name: str) -> Any:
    """The value of one generating parameter (KeyError names the unknown parameter)."""
    return PARAMETERS[name].value


def assumptions() -> list[str]:
    """Names of the parameters that have no source (for reports and the README)."""
    return sorted(name for name, p in PARAMETERS.items() if p.status == "ASSUMPTION")
