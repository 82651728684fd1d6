"""The registry's data model: every patient-related row reaches a Site.

Scoping: ``Patient.site`` is the owner; ``Episode.site``, ``QuestionnaireResponse.site``,
``Score.site`` and ``FollowUp.site`` copy it so site-scoped queries need no join. Records of the
journey (diagnosis, imaging, operation, complication...) hang off an Episode and are scoped
through ``episode__site``. Codes come from ``fusiontrack.core.vocab``; field names are stable
(add, never rename: the demo loader, exports and the API depend on them).

Write through ``fusiontrack.registry.services`` (it keeps the denormalised copies, the Score rows,
the follow-up schedule and the audit trail in step); bulk loaders may write rows directly but must
fill the same copies (see the docstrings of Score and FollowUp).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fusiontrack.core import vocab


class Site(models.Model):
    """A hospital or clinic. Every patient belongs to exactly one."""

    code = models.SlugField(max_length=40, unique=True, help_text="Short stable code, e.g. north.")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff user's role at one site. A user may hold memberships at several sites."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=vocab.SITE_ROLES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["user", "site"], name="membership_one_role_per_site"),
        )

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.site}"


class ClinicalRecord(models.Model):
    """Common columns: timestamps and an optimistic-concurrency version (issue 6)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class Patient(ClinicalRecord):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=40, help_text="Medical record number at this site.")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=vocab.SEX)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    preferred_language = models.CharField(max_length=10, default="en")
    consent_registry = models.BooleanField("consents to the registry", default=False)
    consent_registry_date = models.DateField(null=True, blank=True)
    consent_research = models.BooleanField("consents to research use", default=False)
    consent_research_date = models.DateField(null=True, blank=True)
    consent_withdrawn_date = models.DateField(
        null=True, blank=True, help_text="Date the patient withdrew consent (issue 6)."
    )

    class Meta:
        ordering = ("family_name", "given_name")
        constraints = (
            models.UniqueConstraint(fields=["site", "mrn"], name="patient_mrn_unique_per_site"),
        )
        indexes = (models.Index(fields=["site", "family_name"]),)

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Episode(ClinicalRecord):
    """One planned fusion: the path from evaluation to follow-up complete (or withdrawn).

    ``stage``/``stage_entered_on`` are the current stage (history in StageEvent); ``surgery_date``
    is copied from the (first) Operation so the follow-up schedule and worklist need no join;
    ``planned_surgery_date`` is the scheduled date before that.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episodes")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="episodes")
    title = models.CharField(max_length=200, blank=True, help_text="e.g. L4–L5 TLIF")
    stage = models.CharField(max_length=30, choices=vocab.EPISODE_STAGES, default="evaluation")
    stage_entered_on = models.DateField()
    opened_on = models.DateField()
    surgery_date = models.DateField(null=True, blank=True)
    planned_surgery_date = models.DateField(
        null=True,
        blank=True,
        help_text="Scheduled date; the follow-up plan uses it until the operation is recorded.",
    )
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="episodes",
        help_text="Responsible surgeon.",
    )
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("-opened_on", "-id")
        indexes = (
            models.Index(fields=["site", "stage", "stage_entered_on"]),
            models.Index(fields=["site", "surgery_date"]),
        )

    def __str__(self) -> str:
        return self.title or f"Episode {self.pk}"


class StageEvent(models.Model):
    """One dated stage change of an episode (the journey's backbone on the timeline)."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="stage_events")
    stage = models.CharField(max_length=30, choices=vocab.EPISODE_STAGES)
    entered_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("entered_on", "id")


class Diagnosis(ClinicalRecord):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="diagnoses")
    diagnosis = models.CharField(max_length=40, choices=vocab.DIAGNOSES)
    is_primary = models.BooleanField(default=True)
    meyerding_grade = models.CharField(
        max_length=3,
        choices=vocab.MEYERDING_GRADES,
        blank=True,
        help_text="Spondylolisthesis only.",
    )
    levels = models.CharField(max_length=10, choices=vocab.LEVELS)
    diagnosed_on = models.DateField()
    symptom_duration_months = models.PositiveIntegerField(null=True, blank=True)
    pain_dominance = models.CharField(max_length=10, choices=vocab.PAIN_DOMINANCE, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("diagnosed_on", "id")
        verbose_name_plural = "diagnoses"


class ImagingStudy(ClinicalRecord):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="imaging_studies")
    modality = models.CharField(max_length=20, choices=vocab.IMAGING_MODALITIES)
    study_date = models.DateField()
    findings = models.TextField(blank=True)

    class Meta:
        ordering = ("study_date", "id")
        verbose_name_plural = "imaging studies"


class ConservativeTreatment(ClinicalRecord):
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="conservative_treatments"
    )
    treatment = models.CharField(max_length=40, choices=vocab.CONSERVATIVE_CARE_TYPES)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    response = models.CharField(max_length=10, choices=vocab.TREATMENT_RESPONSE, default="unknown")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("start_date", "id")


class SurgicalDecision(ClinicalRecord):
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="surgical_decisions"
    )
    decision_date = models.DateField()
    indication = models.TextField()
    conservative_care_weeks = models.PositiveIntegerField(
        "documented conservative care (weeks)", null=True, blank=True
    )
    imaging_concordant = models.BooleanField("imaging concordant with symptoms", default=False)
    shared_decision_documented = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("decision_date", "id")


class PreoperativeAssessment(ClinicalRecord):
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="preoperative_assessments"
    )
    assessment_date = models.DateField()
    asa_class = models.CharField("ASA class", max_length=1, choices=vocab.ASA_CLASSES, blank=True)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    bmi = models.DecimalField("BMI", max_digits=4, decimal_places=1, null=True, blank=True)
    smoking = models.CharField(max_length=10, choices=vocab.SMOKING_STATUS, blank=True)
    diabetes = models.BooleanField(default=False)
    hba1c_percent = models.DecimalField(
        "HbA1c (%)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    bone_density_t_score = models.DecimalField(
        "bone density T-score", max_digits=3, decimal_places=1, null=True, blank=True
    )
    anticoagulant = models.BooleanField("takes an anticoagulant", default=False)
    antiplatelet = models.BooleanField("takes an antiplatelet agent", default=False)
    medications = models.TextField("relevant medications", blank=True)
    labs = models.TextField("laboratory results", blank=True)
    cleared = models.BooleanField("cleared for surgery", default=False)
    cleared_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("assessment_date", "id")


class Operation(ClinicalRecord):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="operations")
    operation_date = models.DateField()
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="operations",
    )
    levels = models.CharField(max_length=10, choices=vocab.LEVELS)
    approach = models.CharField(max_length=20, choices=vocab.APPROACHES)
    technique = models.CharField(max_length=10, choices=vocab.SURGICAL_TECHNIQUE, default="open")
    decompression = models.BooleanField(default=False)
    grafts = models.JSONField(default=list, blank=True, help_text="Codes from vocab.GRAFT_TYPES.")
    pedicle_screws = models.BooleanField(default=True)
    rods = models.BooleanField(default=True)
    interbody_cage = models.BooleanField(default=False)
    cage_material = models.CharField(max_length=30, choices=vocab.CAGE_MATERIALS, blank=True)
    navigation = models.BooleanField(default=False)
    robot = models.BooleanField(default=False)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    blood_loss_ml = models.PositiveIntegerField("blood loss (ml)", null=True, blank=True)
    intraoperative_complications = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("operation_date", "id")
        indexes = (models.Index(fields=["operation_date"]),)


class HospitalStay(ClinicalRecord):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="hospital_stays")
    admission_date = models.DateField()
    discharge_date = models.DateField(null=True, blank=True)
    length_of_stay_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Nights, filled from the dates."
    )
    destination = models.CharField(max_length=30, choices=vocab.DISCHARGE_DESTINATIONS, blank=True)

    class Meta:
        ordering = ("admission_date", "id")

    def save(self, *args: object, **kwargs: object) -> None:
        if self.discharge_date and self.admission_date:
            self.length_of_stay_days = (self.discharge_date - self.admission_date).days
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Complication(ClinicalRecord):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="complications")
    occurred_on = models.DateField()
    category = models.CharField(max_length=30, choices=vocab.COMPLICATION_CATEGORIES)
    clavien_dindo = models.CharField(
        "Clavien–Dindo grade", max_length=4, choices=vocab.CLAVIEN_DINDO_GRADES
    )
    reported_by = models.CharField(max_length=10, choices=vocab.REPORTERS, default="clinician")
    intraoperative = models.BooleanField(default=False)
    resolved = models.BooleanField(default=False)
    resolved_on = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ("occurred_on", "id")
        indexes = (models.Index(fields=["category", "occurred_on"]),)


class Reoperation(ClinicalRecord):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="reoperations")
    reoperation_date = models.DateField()
    reason = models.CharField(max_length=300)
    levels = models.CharField(max_length=10, choices=vocab.LEVELS)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("reoperation_date", "id")


class FusionAssessment(ClinicalRecord):
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="fusion_assessments"
    )
    assessment_date = models.DateField()
    modality = models.CharField(max_length=20, choices=vocab.FUSION_MODALITIES)
    bridwell_grade = models.CharField(max_length=3, choices=vocab.BRIDWELL_GRADES, blank=True)
    segmental_motion_degrees = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True
    )
    judgement = models.CharField(max_length=20, choices=vocab.FUSION_JUDGEMENTS)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("assessment_date", "id")


class ReturnToWork(ClinicalRecord):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="work_records")
    recorded_on = models.DateField()
    work_status = models.CharField(max_length=30, choices=vocab.WORK_STATUS)
    returned_on = models.DateField(
        "returned to work on", null=True, blank=True, help_text="Blank if not (yet) returned."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("recorded_on", "id")
        verbose_name = "return to work"
        verbose_name_plural = "return to work"


class FollowUp(models.Model):
    """One scheduled time point of an episode, created from the core schedule once the operation
    date is known (``services.schedule_follow_ups``).

    ``status`` is what is stored: ``pending`` until a response completes it or the scheduler
    marks it ``missed``. Upcoming/open/overdue are read from the dates at query time.
    ``site`` and ``patient`` copy the episode's for single-table worklist queries.
    """

    STATUSES = (("pending", "Pending"), ("completed", "Completed"), ("missed", "Missed"))

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="follow_ups")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="follow_ups")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="follow_ups")
    timepoint = models.CharField(max_length=10, choices=vocab.TIMEPOINTS)
    due_on = models.DateField()
    window_opens_on = models.DateField()
    window_closes_on = models.DateField()
    status = models.CharField(max_length=10, choices=STATUSES, default="pending")
    completed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("due_on", "id")
        constraints = (
            models.UniqueConstraint(
                fields=["episode", "timepoint"], name="follow_up_one_per_timepoint"
            ),
        )
        # The worklist counts and pages open follow-ups of the user's sites: with 100,000
        # patients the covering index and the due-date order index take its count from 122 ms to
        # 1.8 ms and its page query from 95 ms to 1 ms (EXPLAIN on PostgreSQL, registry_bench).
        indexes = (
            models.Index(
                fields=["site", "status", "window_opens_on"],
                include=["window_closes_on"],
                name="follow_up_site_open_window",
            ),
            models.Index(fields=["site", "status", "due_on", "id"], name="follow_up_site_due"),
            models.Index(fields=["status", "window_closes_on"]),
        )


class QuestionnaireResponse(ClinicalRecord):
    """One instrument answered at one time point, scored by ``fusiontrack.core.instruments``.

    ``scores`` is the core's ``ScoreResult.scores`` as stored; numeric ones are mirrored one per
    row into Score for SQL aggregation.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="responses")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="responses")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="responses")
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=40)
    timepoint = models.CharField(max_length=10, choices=vocab.TIMEPOINTS)
    responded_on = models.DateField()
    answers = models.JSONField(default=dict)
    scores = models.JSONField(default=dict)
    complete = models.BooleanField(default=True)
    incomplete_reason = models.CharField(max_length=300, blank=True)
    entry_mode = models.CharField(max_length=10, choices=vocab.ENTRY_MODES)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ("responded_on", "id")
        indexes = (
            models.Index(fields=["episode", "timepoint", "instrument_id"]),
            models.Index(fields=["site", "responded_on"]),
        )


class Score(models.Model):
    """One numeric score of one response, narrow and indexed for SQL aggregation.

    ``measure`` is a core score id (odi, nrs_back, nrs_leg, comi, eq5d5l_index, ...). Patient,
    episode, site, timepoint, instrument and date copy the response's.
    """

    response = models.ForeignKey(
        QuestionnaireResponse, on_delete=models.CASCADE, related_name="score_rows"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="score_rows")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="score_rows")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="score_rows")
    instrument_id = models.CharField(max_length=40)
    timepoint = models.CharField(max_length=10, choices=vocab.TIMEPOINTS)
    measure = models.CharField(max_length=40)
    value = models.FloatField()
    responded_on = models.DateField()

    class Meta:
        indexes = (
            models.Index(fields=["episode", "measure", "timepoint"]),
            models.Index(fields=["measure", "timepoint"]),
            models.Index(fields=["site", "measure", "timepoint"]),
        )


class ReferenceTrajectory(models.Model):
    """Cached typical trajectory (median and IQR) of a measure in a group of similar patients.

    Refreshed by ``services.refresh_reference_trajectories``; the patient page reads it in one
    query instead of aggregating the registry on every view. ``group`` is ``all`` or
    ``diagnosis:<code>`` of the primary diagnosis.
    """

    measure = models.CharField(max_length=40)
    group = models.CharField(max_length=60)
    timepoint = models.CharField(max_length=10, choices=vocab.TIMEPOINTS)
    n = models.PositiveIntegerField()
    p25 = models.FloatField()
    median = models.FloatField()
    p75 = models.FloatField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["measure", "group", "timepoint"], name="reference_trajectory_unique"
            ),
        )


class AuditEvent(models.Model):
    """Who did what to which patient data, when and from where (written only by ``audit.py``).

    No foreign keys on purpose: rows must outlive the users and patients they name. Append-only:
    a database trigger refuses UPDATE and DELETE (migration 0003), and each row carries the hash
    of the previous one so ``fusiontrack audit verify`` detects edits made around the trigger.
    """

    ACTIONS = (
        ("create", "Create"),
        ("read", "Read"),
        ("update", "Update"),
        ("delete", "Delete"),
        ("export", "Export"),
        ("login", "Log in"),
        ("logout", "Log out"),
        ("login_failed", "Failed log-in"),
        ("lockout", "Locked out"),
        ("denied", "Access denied"),
        ("security", "Security change"),
    )

    #: Position in the hash chain (1, 2, 3...); gaps or repeats mean rows were removed or forged.
    sequence = models.PositiveBigIntegerField(unique=True)
    #: sha256 of the previous entry ("" for the first) and of this one (``audit.entry_hash``).
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)
    user_id_ref = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=ACTIONS)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40, blank=True)
    patient_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    site_id_ref = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [old, new]}")
    reason = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)
    #: Context that is not a field change: rows shown on a list page, an export's field list and
    #: row count, why a log-in failed.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("sequence",)


class AuditChainHead(models.Model):
    """The end of the audit hash chain: a single row (id 1) that every append updates.

    Updating it takes a row lock, which serialises appends on PostgreSQL, and hands each
    append the latest committed sequence and hash (``audit._append``). ``verify_chain`` also
    compares it with the last entry, so removing entries from the end shows.
    """

    sequence = models.PositiveBigIntegerField(default=0)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
