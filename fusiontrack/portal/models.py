"""The portal's data: invitations and their link tokens, patient sessions, draft answers,
submissions, the message outbox, per-episode plan details and per-site plan protocols.

Secrets are never stored: link tokens and session keys are kept as SHA-256 hashes of
``secrets.token_urlsafe(32)`` values (256 bits). A link is minted when a message is composed (or
when ``fusiontrack invite`` prints it), so the outbox holds no link either: each delivery attempt
mints a fresh token for the same invitation, and every token of a live invitation opens it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from fusiontrack.core import vocab
from fusiontrack.registry.models import Episode, FollowUp, Patient, QuestionnaireResponse, Site

DELIVERY_STATES = (
    ("none", "Not sent yet"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("unreachable", "Unreachable"),
)
SOURCES = (("staff", "Staff"), ("cli", "Command line"), ("scheduler", "Scheduler"))
CHANNELS = (("email", "E-mail"), ("sms", "SMS"))


class Invitation(models.Model):
    """One patient asked to answer the questionnaires of one time point of one episode.

    The state shown to staff (``state``) is derived: completed > revoked > locked > expired >
    opened > sent / failed / unreachable > created.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="invitations")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="invitations")
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )
    timepoint = models.CharField(max_length=10, choices=vocab.TIMEPOINTS)
    instruments = models.JSONField(default=list, help_text="Instrument ids, in page order.")
    source = models.CharField(max_length=10, choices=SOURCES)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    dob_required = models.BooleanField(default=True)
    dob_failures = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(max_length=12, choices=DELIVERY_STATES, default="none")

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (
            models.Index(fields=["episode", "timepoint"]),
            models.Index(fields=["completed_at", "revoked_at", "expires_at"]),
        )

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.timepoint})"

    def is_live(self, now: dt.datetime) -> bool:
        """The link still opens the questionnaires."""
        return (
            self.completed_at is None
            and self.revoked_at is None
            and self.locked_at is None
            and now < self.expires_at
        )

    def state(self, now: dt.datetime) -> str:
        if self.completed_at is not None:
            return "completed"
        if self.revoked_at is not None:
            return "revoked"
        if self.locked_at is not None:
            return "locked"
        if now >= self.expires_at:
            return "expired"
        if self.opened_at is not None:
            return "opened"
        if self.delivery in {"sent", "failed", "unreachable"}:
            return self.delivery
        return "created"


class InvitationToken(models.Model):
    """The hash of one link token of an invitation (one per printed link or sent message)."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=10, help_text="cli, email or sms")
    created_at = models.DateTimeField()


class PortalSession(models.Model):
    """A short-lived patient session, the cookie holding a random key whose hash is stored here."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    dob_verified = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)


class DraftAnswers(models.Model):
    """Answers saved page by page, so a patient can leave and resume with the same link."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="drafts")
    instrument_id = models.CharField(max_length=40)
    answers = models.JSONField(default=dict)
    finished = models.BooleanField(default=False, help_text="The patient moved past this page.")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["invitation", "instrument_id"], name="portal_one_draft_per_instrument"
            ),
        )


class Submission(models.Model):
    """The response created from one instrument of one invitation: the unique constraint makes a
    double tap or a retried submit create at most one QuestionnaireResponse."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="submissions")
    instrument_id = models.CharField(max_length=40)
    response = models.OneToOneField(
        QuestionnaireResponse, on_delete=models.CASCADE, related_name="portal_submission"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["invitation", "instrument_id"], name="portal_one_submission_per_instrument"
            ),
        )


class OutboxMessage(models.Model):
    """One message to a patient, delivered by the scheduler with retries and backoff.

    ``idempotency_key`` (invitation, kind, channel) is unique, so overlapping scheduler runs
    queue a message once; a message is claimed (queued → sending) by a conditional UPDATE before
    it is sent, so two workers never send it twice. ``cancelled``: the reason to send it went
    away before delivery (the questionnaire was completed, the link revoked or expired).
    """

    STATES = (
        ("queued", "Queued"),
        ("sending", "Sending"),
        ("sent", "Sent"),
        ("failed", "Failed"),
        ("cancelled", "Cancelled"),
    )
    KINDS = (("invite", "Invitation"), ("reminder", "Reminder"))

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="messages")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="portal_messages")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="portal_messages")
    channel = models.CharField(max_length=10, choices=CHANNELS)
    kind = models.CharField(max_length=10, choices=KINDS)
    reminder_number = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=120, unique=True)
    state = models.CharField(max_length=10, choices=STATES, default="queued")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("created_at", "id")
        indexes = (models.Index(fields=["state", "next_attempt_at"]),)


class PlanDetails(models.Model):
    """What the plans need beyond the registry: arrival time, medicines, kind of work."""

    WORK_KINDS = (
        ("sedentary", "Desk work"),
        ("light", "Light physical work"),
        ("heavy", "Heavy physical work"),
        ("none", "Not working"),
    )

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="plan_details")
    arrival_time = models.TimeField(
        default=dt.time(7, 0), help_text="Local clock time of arrival on the day of surgery."
    )
    arrive_evening_before = models.BooleanField(default=False)
    medications = models.JSONField(
        default=list, blank=True, help_text="Medication codes of the clinic protocol."
    )
    crcl_ml_min = models.FloatField("creatinine clearance (mL/min)", null=True, blank=True)
    work_kind = models.CharField(max_length=10, choices=WORK_KINDS, default="none")
    updated_at = models.DateTimeField(auto_now=True)


class SiteProtocol(models.Model):
    """A site's overrides of the default plan protocol (``fusiontrack.core.plans``), as JSON.

    Merged onto the cited defaults with ``protocol_with_overrides``; a changed clinical value
    without its own evidence is marked as the site's protocol (see the core).
    """

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="plan_protocol")
    overrides = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Plan protocol of {self.site}"
