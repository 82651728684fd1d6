"""POST /fhir/QuestionnaireResponse: validate, resolve patient/episode/time point, score, store.

Every problem found is reported together in one OperationOutcome (structure → 400; a valid
resource that cannot be stored as given → 422), each issue with the FHIRPath of the element.
Posting the same response again (same episode, instrument, time point, date and answers) stores
nothing and answers 200 with the stored one, so a client may retry after a lost reply.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from fusiontrack.core.errors import FusiontrackError
from fusiontrack.core.schedule import assign_timepoint
from fusiontrack.fhir import codes, ingest, validate
from fusiontrack.fhir.outcome import FhirError, Issue
from fusiontrack.fhir.search import is_id_number
from fusiontrack.registry import access, services
from fusiontrack.registry.models import Episode, Patient, QuestionnaireResponse


def _writable(request: HttpRequest, patient_id: int) -> Patient:
    """The patient, if the caller may file questionnaires for them (physiotherapists may)."""
    patient = access.get_patient_for_user(request, patient_id)
    if not access.can_write(access.role_at(request, patient.site_id), "questionnaire"):
        raise PermissionDenied("Your role cannot add questionnaire responses.")
    return patient


def _patient(request: HttpRequest, qr: ingest.QuestionnaireResponseIn) -> Patient:
    subject = qr.subject
    where = "QuestionnaireResponse.subject"
    if subject is None:
        raise FhirError(422, [Issue("subject is required: Patient/<id>.", where, "required")])
    if subject.reference:
        tail = subject.reference.removeprefix("Patient/")
        if tail == subject.reference or not is_id_number(tail):
            raise FhirError(
                422, [Issue(f"subject {subject.reference!r} is not Patient/<id>.", where)]
            )
        return _writable(request, int(tail))
    ident = subject.identifier
    if ident is not None and ident.system and ident.value:
        site_code = ident.system.removeprefix(codes.mrn_system(""))
        # Only the caller's sites: another site's MRNs must not be probed by the answer.
        found = Patient.objects.filter(
            site__code=site_code, mrn=ident.value, site_id__in=access.clinical_site_ids(request)
        ).first()
        if found is not None and ident.system == codes.mrn_system(site_code):
            return _writable(request, found.pk)
    raise FhirError(404, [Issue("subject names no patient of this server.", where, "not-found")])


def _episode(patient: Patient, care_plan_id: int | None, authored: Any) -> Episode:
    episodes = Episode.objects.filter(patient=patient)
    if care_plan_id is not None:
        episode = episodes.filter(pk=care_plan_id).first()
        if episode is None:
            raise FhirError(
                422,
                [
                    Issue(
                        f"CarePlan/{care_plan_id} is not a plan of Patient/{patient.pk}.",
                        "QuestionnaireResponse.basedOn",
                    )
                ],
            )
        return episode
    candidates = episodes.exclude(stage="withdrawn").order_by("-opened_on", "-id")
    if authored is not None:
        candidates = candidates.filter(opened_on__lte=authored) or candidates
    episode = candidates.first()
    if episode is None:
        raise FhirError(
            422,
            [
                Issue(
                    f"Patient/{patient.pk} has no open episode to file this response under; "
                    "create the episode first or name it in basedOn (CarePlan/<id>).",
                    "QuestionnaireResponse.subject",
                )
            ],
        )
    return episode


def _timepoint(episode: Episode, given: str | None, authored: Any) -> str:
    if given:
        return given
    surgery = episode.surgery_date or episode.planned_surgery_date
    found = assign_timepoint(surgery, authored) if authored is not None else None
    if found is None:
        raise FhirError(
            422,
            [
                Issue(
                    f"authored {authored} falls in no follow-up window of CarePlan/{episode.pk}"
                    f" (surgery {surgery}); send the time point in extension "
                    f"{codes.EXT_TIMEPOINT}.",
                    "QuestionnaireResponse.authored",
                )
            ],
        )
    return found


def _already_stored(
    episode: Episode, instrument_id: str, timepoint: str, authored: Any, answers: dict[str, Any]
) -> QuestionnaireResponse | None:
    """The same response posted again (a client's retry): same episode, instrument, time point,
    date and answers. The importers use the same key (less the answers) to skip what is stored.
    """
    same = QuestionnaireResponse.objects.filter(
        episode=episode, instrument_id=instrument_id, timepoint=timepoint, responded_on=authored
    ).order_by("pk")
    return next((row for row in same if row.answers == answers), None)


def create_questionnaire_response(
    request: HttpRequest, body: Any
) -> tuple[QuestionnaireResponse, bool]:
    """(the stored response, True if created now; False if the same one was stored before)."""
    if not isinstance(body, dict) or body.get("resourceType") != "QuestionnaireResponse":
        raise FhirError(
            400, "The body must be one QuestionnaireResponse resource in JSON (resourceType)."
        )
    try:
        validate.validate(body)
    except validate.InvalidResource as exc:
        raise FhirError(
            400, [Issue(msg, where, "structure") for where, msg in exc.issues]
        ) from None
    qr, issues = ingest.parse(body)
    if qr is None:
        raise FhirError(400, issues)
    instrument, issues = ingest.instrument_for(qr.questionnaire)
    head, header_issues = ingest.header(qr)
    issues += header_issues
    answers, answer_issues = (
        ({}, []) if instrument is None else ingest.answers_for(instrument, qr.item)
    )
    issues += answer_issues
    if issues:
        raise FhirError(422, issues)
    assert instrument is not None
    patient = _patient(request, qr)
    episode = _episode(patient, head.care_plan_id, head.authored)
    timepoint = _timepoint(episode, head.timepoint, head.authored)
    stored = _already_stored(episode, instrument.id, timepoint, head.authored, answers)
    if stored is not None:
        return stored, False
    try:
        created = services.save_response(
            request,
            episode=episode,
            instrument_id=instrument.id,
            timepoint=timepoint,
            responded_on=head.authored,
            answers=answers,
            entry_mode=head.entry_mode,
            role=access.role_at(request, episode.site_id) or "",
        )
    except FusiontrackError as exc:
        item = getattr(exc, "item", None)
        where = f"QuestionnaireResponse.item.where(linkId='{item}')" if item else None
        raise FhirError(422, [Issue(str(exc), where)]) from None
    return created, True
