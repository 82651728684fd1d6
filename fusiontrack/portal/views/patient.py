"""Patient pages: open a link, check the date of birth, one questionnaire per page, review and
send, thank-you, results. Every page works without JavaScript (plain forms, server redirects).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fusiontrack.portal import conf, invitations, results, submit
from fusiontrack.portal.answers import questions, read_answers
from fusiontrack.portal.forms import DateOfBirthForm
from fusiontrack.portal.language import patient_language
from fusiontrack.portal.sessions import end_session, patient_view, protect, start_session
from fusiontrack.portal.wording import INSTRUMENT_INTROS, timepoint_phrase
from fusiontrack.registry import audit

CLOSED_STATUS = {"unknown": 404, "expired": 410, "revoked": 410, "completed": 410, "locked": 403}


def _instrument(instrument_id: str) -> Any:
    from fusiontrack.core.instruments import INSTRUMENTS

    return INSTRUMENTS[instrument_id]


def closed_page(request: HttpRequest, reason: str) -> HttpResponse:
    """The friendly page for a link that no longer opens, with what to do next."""
    return render(
        request, "portal/closed.html", {"reason": reason}, status=CLOSED_STATUS.get(reason, 410)
    )


def session_expired(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/session_expired.html", status=403)


@require_GET
def enter(request: HttpRequest, token: str) -> HttpResponse:
    """Exchange the link's token for a session cookie and drop the token from the address bar."""
    now = timezone.now()
    invitation = invitations.find_by_token(token)
    closed = invitations.closed_reason(invitation, now)
    if closed is not None or invitation is None:
        language = patient_language(invitation.patient) if invitation else "en"
        with translation.override(language):
            page = closed_page(request, closed.reason if closed else "unknown")
            return protect(page, referrer="no-referrer")
    invitations.mark_opened(invitation, now=now, request=request)
    response = redirect("portal:home")
    start_session(response, invitation, now=now, verified=not invitation.dob_required)
    return protect(response, referrer="no-referrer")


@require_http_methods(["GET", "POST"])
@patient_view(allow_unverified=True)
def verify(request: HttpRequest) -> HttpResponse:
    invitation = request.invitation  # type: ignore[attr-defined]
    session = request.portal_session  # type: ignore[attr-defined]
    if session.dob_verified or not invitation.dob_required:
        return redirect("portal:home")
    form = DateOfBirthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok = invitations.check_date_of_birth(
            invitation,
            form.cleaned_data["date_of_birth"],
            now=request.portal_now,
            request=request,  # type: ignore[attr-defined]
        )
        if ok:
            session.dob_verified = True
            session.save(update_fields=["dob_verified"])
            return redirect("portal:home")
        if invitation.locked_at is not None:
            return closed_page(request, "locked")
        left = conf.dob_max_failures() - invitation.dob_failures
        form.add_error(
            None,
            _(
                "That date of birth does not match our records. Please check it and try again. "
                "Tries left: %(left)s."
            )
            % {"left": left},
        )
    return render(request, "portal/verify.html", {"form": form})


def _progress(invitation: Any, drafts: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    drafts = submit.drafts_for(invitation) if drafts is None else drafts
    steps = []
    for number, instrument_id in enumerate(invitation.instruments, start=1):
        draft = drafts.get(instrument_id)
        state = "done" if draft and draft.finished else ("started" if draft else "todo")
        steps.append(
            {
                "number": number,
                "id": instrument_id,
                "title": _instrument(instrument_id).title,
                "state": state,
            }
        )
    return steps


@require_GET
@patient_view()
def home(request: HttpRequest) -> HttpResponse:
    invitation = request.invitation  # type: ignore[attr-defined]
    steps = _progress(invitation)
    next_step = next((s for s in steps if s["state"] != "done"), None)
    context = {
        "invitation": invitation,
        "patient": invitation.patient,
        "steps": steps,
        "next_step": next_step,
        "timepoint": timepoint_phrase(invitation.timepoint),
        "expires_on": timezone.localdate(invitation.expires_at),
    }
    return render(request, "portal/home.html", context)


def _page_context(invitation: Any, instrument: Any, qs: list[Any], **extra: Any) -> dict[str, Any]:
    order = list(invitation.instruments)
    index = order.index(instrument.id)
    return {
        "invitation": invitation,
        "instrument": instrument,
        "intro": INSTRUMENT_INTROS.get(instrument.id, ""),
        "questions": qs,
        "number": index + 1,
        "total": len(order),
        "percent": round(100 * index / len(order)),
        "previous": order[index - 1] if index > 0 else None,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@patient_view()
def question(request: HttpRequest, instrument_id: str) -> HttpResponse:
    invitation = request.invitation  # type: ignore[attr-defined]
    now: dt.datetime = request.portal_now  # type: ignore[attr-defined]
    if instrument_id not in invitation.instruments:
        raise Http404("No such questionnaire in this invitation.")
    instrument = _instrument(instrument_id)
    draft = submit.drafts_for(invitation).get(instrument_id)
    if request.method == "GET":
        qs = questions(instrument, draft.answers if draft else {})
        return render(request, "portal/question.html", _page_context(invitation, instrument, qs))
    answers, errors = read_answers(instrument, request.POST)
    action = request.POST.get("action", "next")
    missing = [item.id for item in instrument.items if item.id not in answers]
    leaving_forward = action in {"next", "skip"} and not errors
    finished = leaving_forward and (action == "skip" or not missing)
    submit.save_draft(invitation, instrument_id, answers, finished=finished, now=now)
    if action == "later":
        response = render(
            request, "portal/saved.html", {"expires_on": timezone.localdate(invitation.expires_at)}
        )
        end_session(request, response, now=now)
        return response
    if action == "back" and not errors:
        order = list(invitation.instruments)
        index = order.index(instrument_id)
        return redirect("portal:question", order[index - 1]) if index else redirect("portal:home")
    if finished:
        order = list(invitation.instruments)
        index = order.index(instrument_id)
        if index + 1 < len(order):
            return redirect("portal:question", order[index + 1])
        return redirect("portal:review")
    qs = questions(instrument, {**answers, **{k: request.POST.get(f"item_{k}") for k in errors}})
    for q in qs:
        q.error = errors.get(q.item_id, "")
    unanswered = [q for q in qs if not q.answered and not q.error] if not errors else []
    status = 400 if errors else 200
    return render(
        request,
        "portal/question.html",
        _page_context(invitation, instrument, qs, errors=errors, unanswered=unanswered),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@patient_view(allow_closed=True)
def review(request: HttpRequest) -> HttpResponse:
    invitation = request.invitation  # type: ignore[attr-defined]
    if invitation.completed_at is not None:
        return redirect("portal:done")
    closed = invitations.closed_reason(invitation, request.portal_now)  # type: ignore[attr-defined]
    if closed is not None:
        return closed_page(request, closed.reason)
    if request.method == "POST":
        submit.submit(invitation, now=request.portal_now, request=request)  # type: ignore[attr-defined]
        return redirect("portal:done")
    drafts = submit.drafts_for(invitation)
    rows = []
    for step in _progress(invitation, drafts):
        draft = drafts.get(step["id"])
        answers = draft.answers if draft else {}
        preview = submit.preview_scores(step["id"], answers) if answers else None
        rows.append(
            {
                **step,
                "answered": len(answers),
                "items": len(_instrument(step["id"]).items),
                "incomplete": preview is None or not preview.complete,
            }
        )
    return render(request, "portal/review.html", {"rows": rows, "invitation": invitation})


@require_GET
@patient_view(allow_closed=True)
def done(request: HttpRequest) -> HttpResponse:
    invitation = request.invitation  # type: ignore[attr-defined]
    if invitation.completed_at is None:
        return redirect("portal:home")
    today = timezone.localdate(request.portal_now)  # type: ignore[attr-defined]
    upcoming = results.next_questionnaire(invitation.episode, today)
    return render(request, "portal/done.html", {"next_follow_up": _next(upcoming)})


def _next(follow_up: Any) -> dict[str, Any] | None:
    if follow_up is None:
        return None
    return {"date": follow_up.due_on, "phrase": timepoint_phrase(follow_up.timepoint)}


@require_GET
@patient_view(allow_closed=True)
def results_view(request: HttpRequest) -> HttpResponse:
    invitation = request.invitation  # type: ignore[attr-defined]
    today = timezone.localdate(request.portal_now)  # type: ignore[attr-defined]
    context = {
        "stories": results.stories(invitation.episode),
        "next_follow_up": _next(results.next_questionnaire(invitation.episode, today)),
        "invitation": invitation,
    }
    audit.record(
        request,
        "read",
        invitation.patient,
        patient_id=invitation.patient_id,
        site_id=invitation.site_id,
        role="patient",
    )
    return render(request, "portal/results.html", context)


@require_POST
@patient_view(allow_unverified=True, allow_closed=True)
def leave(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/left.html")
    end_session(request, response, now=request.portal_now)  # type: ignore[attr-defined]
    return response
