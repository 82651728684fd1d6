"""Controlled vocabularies of the fusion pathway, shared by models, forms, the synthetic cohort,
exports and analytics.

Each vocabulary is a tuple of (code, label) pairs. Codes are stable identifiers stored in the
database and written to exports: never rename one, only add. Labels are for people.
Grading systems carry their source next to them.
"""

from __future__ import annotations

Choices = tuple[tuple[str, str], ...]

SITE_ROLES: Choices = (
    ("admin", "Administrator"),
    ("surgeon", "Surgeon"),
    ("coordinator", "Research coordinator"),
    ("physiotherapist", "Physiotherapist"),
    ("researcher", "Researcher"),
)

SEX: Choices = (("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Unknown"))

EPISODE_STAGES: Choices = (
    ("evaluation", "Evaluation"),
    ("conservative_care", "Conservative care"),
    ("surgical_decision", "Surgical decision"),
    ("preparation", "Preparation"),
    ("surgery", "Surgery"),
    ("recovery", "Recovery"),
    ("follow_up_complete", "Follow-up complete"),
    ("withdrawn", "Withdrawn"),
)

DIAGNOSES: Choices = (
    ("degenerative_disc_disease", "Degenerative disc disease"),
    ("degenerative_spondylolisthesis", "Degenerative spondylolisthesis"),
    ("isthmic_spondylolisthesis", "Isthmic spondylolisthesis"),
    ("spinal_stenosis", "Spinal stenosis"),
    ("instability", "Instability"),
    ("recurrent_disc_herniation", "Recurrent disc herniation"),
    ("pseudarthrosis_revision", "Pseudarthrosis / revision"),
    ("other", "Other"),
)

# Meyerding grade of slip (percentage of the inferior endplate's length).
# Source: Meyerding HW 1932 (Surg Gynecol Obstet), as tabulated by Radiopaedia and Medscape
# (CORROBORATED in shared/notes/verified-facts.md §10). Grade V (spondyloptosis, >100 %) is a
# later addition.
MEYERDING_GRADES: Choices = (
    ("I", "Grade I (0–25 %)"),
    ("II", "Grade II (26–50 %)"),
    ("III", "Grade III (51–75 %)"),
    ("IV", "Grade IV (76–100 %)"),
    ("V", "Grade V (> 100 %, spondyloptosis)"),
)

PAIN_DOMINANCE: Choices = (
    ("back", "Back-dominant"),
    ("leg", "Leg-dominant"),
    ("equal", "Back and leg equal"),
)

LEVELS: Choices = (
    ("L4-L5", "L4–L5"),
    ("L5-S1", "L5–S1"),
    ("L4-S1", "L4–S1"),
    ("L3-L4", "L3–L4"),
    ("L3-L5", "L3–L5"),
    ("L3-S1", "L3–S1"),
    ("other", "Other levels"),
)

IMAGING_MODALITIES: Choices = (
    ("mri", "MRI"),
    ("ct", "CT"),
    ("xray", "X-ray"),
    ("flexion_extension", "Flexion–extension X-ray"),
)

CONSERVATIVE_CARE_TYPES: Choices = (
    ("physical_therapy", "Physical therapy"),
    ("nsaids", "NSAIDs"),
    ("neuropathic_agents", "Neuropathic agents"),
    ("opioids", "Opioids"),
    ("epidural_steroid_injection", "Epidural steroid injection"),
    ("facet_medial_branch", "Facet / medial-branch procedure"),
    ("bracing", "Bracing"),
    ("manual_therapy", "Manual therapy"),
    ("weight_loss", "Weight loss"),
    ("smoking_cessation", "Smoking cessation"),
)

TREATMENT_RESPONSE: Choices = (
    ("none", "No improvement"),
    ("partial", "Partial improvement"),
    ("good", "Good improvement"),
    ("worse", "Worse"),
    ("unknown", "Unknown"),
)

# ASA physical status classification (American Society of Anesthesiologists).
ASA_CLASSES: Choices = (
    ("1", "ASA I"),
    ("2", "ASA II"),
    ("3", "ASA III"),
    ("4", "ASA IV"),
    ("5", "ASA V"),
)

SMOKING_STATUS: Choices = (("never", "Never"), ("former", "Former"), ("current", "Current"))

APPROACHES: Choices = (
    ("tlif", "TLIF"),
    ("plif", "PLIF"),
    ("alif", "ALIF"),
    ("llif", "LLIF / XLIF"),
    ("olif", "OLIF"),
    ("posterolateral", "Posterolateral fusion"),
)

SURGICAL_TECHNIQUE: Choices = (("open", "Open"), ("mis", "Minimally invasive"))

GRAFT_TYPES: Choices = (
    ("local_autograft", "Local autograft"),
    ("iliac_crest_autograft", "Iliac crest autograft"),
    ("allograft", "Allograft"),
    ("bmp2", "BMP-2"),
    ("synthetic", "Synthetic"),
)

CAGE_MATERIALS: Choices = (
    ("peek", "PEEK"),
    ("titanium", "Titanium"),
    ("titanium_coated_peek", "Titanium-coated PEEK"),
    ("carbon", "Carbon fibre"),
    ("allograft", "Structural allograft"),
    ("none", "No cage"),
)

DISCHARGE_DESTINATIONS: Choices = (
    ("home", "Home"),
    ("home_with_services", "Home with services"),
    ("rehabilitation", "Inpatient rehabilitation"),
    ("nursing_facility", "Skilled nursing facility"),
    ("other_hospital", "Other hospital"),
    ("died", "Died"),
)

COMPLICATION_CATEGORIES: Choices = (
    ("ssi_superficial", "Superficial surgical site infection"),
    ("ssi_deep", "Deep surgical site infection"),
    ("durotomy", "Durotomy"),
    ("neuro_deficit", "New neurological deficit"),
    ("nerve_root_injury", "Nerve root injury"),
    ("dvt_pe", "DVT / PE"),
    ("urinary_retention", "Urinary retention"),
    ("hardware_failure", "Hardware failure / malposition"),
    ("non_union", "Non-union"),
    ("adjacent_segment_disease", "Adjacent segment disease"),
    ("wound_dehiscence", "Wound dehiscence"),
    ("readmission", "Readmission"),
    ("other", "Other"),
)

# Clavien–Dindo classification of surgical complications.
# Source: Dindo D, Demartines N, Clavien PA. Ann Surg 2004;240(2):205–213
# (CORROBORATED in shared/notes/verified-facts.md §10).
CLAVIEN_DINDO_GRADES: Choices = (
    ("I", "I — deviation without specific treatment"),
    ("II", "II — pharmacological treatment, transfusion or TPN"),
    ("IIIa", "IIIa — intervention without general anaesthesia"),
    ("IIIb", "IIIb — intervention under general anaesthesia"),
    ("IVa", "IVa — single-organ dysfunction, ICU"),
    ("IVb", "IVb — multi-organ dysfunction, ICU"),
    ("V", "V — death"),
)

REPORTERS: Choices = (("patient", "Patient"), ("clinician", "Clinician"))

FUSION_MODALITIES: Choices = (
    ("ct", "CT"),
    ("xray", "X-ray"),
    ("flexion_extension", "Flexion–extension X-ray"),
)

# Bridwell interbody fusion grade. Source: Bridwell KH, Lenke LG, McEnery KW, Baldus C, Blanke K.
# Spine 1995;20(12):1410–1418 (CONFIRMED citation; definitions CORROBORATED, verified-facts.md §10).
BRIDWELL_GRADES: Choices = (
    ("I", "I — fused with remodelling and trabeculae"),
    ("II", "II — graft intact, not fully remodelled, no lucency"),
    ("III", "III — graft intact, potential lucency at top and bottom"),
    ("IV", "IV — fusion absent with collapse or resorption of graft"),
)

FUSION_JUDGEMENTS: Choices = (
    ("fused", "Fused"),
    ("not_fused", "Not fused"),
    ("indeterminate", "Indeterminate"),
)

WORK_STATUS: Choices = (
    ("working_full_time", "Working full time"),
    ("working_part_time", "Working part time / modified duties"),
    ("sick_leave", "On sick leave because of the back"),
    ("unemployed", "Unemployed"),
    ("retired", "Retired"),
    ("homemaker_student", "Homemaker or student"),
    ("disability_pension", "Disability pension"),
)

ENTRY_MODES: Choices = (
    ("patient", "Patient (online)"),
    ("staff", "Staff (paper transcribed)"),
    ("phone", "Phone interview"),
)

TIMEPOINTS: Choices = (
    ("baseline", "Baseline (before surgery)"),
    ("6w", "6 weeks"),
    ("3m", "3 months"),
    ("6m", "6 months"),
    ("12m", "12 months"),
    ("24m", "24 months"),
)


def codes(choices: Choices) -> tuple[str, ...]:
    """The stored codes of a vocabulary, in order."""
    return tuple(code for code, _ in choices)


def label(choices: Choices, code: str) -> str:
    """The human label for a code; the code itself when unknown (never raises in templates)."""
    return dict(choices).get(code, code)
