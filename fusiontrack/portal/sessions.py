"""The patient's short-lived session: a random key in an HttpOnly cookie, its hash in the DB.

Why not Django's session: a patient holds no account, and a staff member who opens a patient's
link in the same browser must not mix the two. The cookie is scoped to the portal's path.
Idle timeout and absolute lifetime come from ``conf``; ``last_seen_at`` is written at most once
a minute so a page view costs no write in the common case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation

from fusiontrack.portal import conf
from fusiontrack.portal.invitations import closed_reason
from fusiontrack.portal.language import patient_language
from fusiontrack.portal.models import Invitation, PortalSession
from fusiontrack.portal.tokens import hash_token, looks_like_token, new_token

COOKIE_NAME = "fusiontrack_portal"
COOKIE_PATH = "/p/"
TOUCH_EVERY = dt.timedelta(minutes=1)

#: Content-Security-Policy of every portal page: no inline script or style anywhere.
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def start_session(
    response: HttpResponse, invitation: Invitation, *, now: dt.datetime, verified: bool
) -> PortalSession:
    key = new_token()
    session = PortalSession.objects.create(
        invitation=invitation,
        key_hash=hash_token(key),
        created_at=now,
        last_seen_at=now,
        dob_verified=verified,
    )
    response.set_cookie(
        COOKIE_NAME,
        key,
        max_age=conf.session_max_hours() * 3600,
        path=COOKIE_PATH,
        secure=conf.secure_cookies(),
        httponly=True,
        samesite="Lax",
    )
    return session


def end_session(request: HttpRequest, response: HttpResponse, *, now: dt.datetime) -> None:
    session = getattr(request, "portal_session", None)
    if session is not None:
        PortalSession.objects.filter(pk=session.pk).update(ended_at=now)
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, samesite="Lax")


def current_session(request: HttpRequest, now: dt.datetime) -> PortalSession | None:
    key = request.COOKIES.get(COOKIE_NAME, "")
    if not looks_like_token(key):
        return None
    session = (
        PortalSession.objects.select_related(
            "invitation",
            "invitation__patient",
            "invitation__follow_up",
            "invitation__episode",
            "invitation__site",  # the page header names the site
        )
        .filter(key_hash=hash_token(key), ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None
    idle = dt.timedelta(minutes=conf.session_idle_minutes())
    absolute = dt.timedelta(hours=conf.session_max_hours())
    if now - session.last_seen_at > idle or now - session.created_at > absolute:
        PortalSession.objects.filter(pk=session.pk).update(ended_at=now)
        return None
    if now - session.last_seen_at > TOUCH_EVERY:
        PortalSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    return session


def protect(response: HttpResponse, *, referrer: str = "same-origin") -> HttpResponse:
    """Headers for every patient page: no caching of health data, strict CSP, no referrer
    outside the site. (``no-referrer`` only where the URL holds a token: with it, browsers send
    ``Origin: null`` on form posts, which Django's CSRF check rightly refuses.)"""
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = CSP
    response["Referrer-Policy"] = referrer
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def patient_view(
    *, allow_unverified: bool = False, allow_closed: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorator: a live portal session is required; the patient's language is activated.

    Sets ``request.portal_session``, ``request.invitation`` and ``request.portal_now``. Without a
    session the patient sees the 'open your link again' page; before the date-of-birth check
    they are sent to it; once the invitation is closed (completed, expired...) only views that
    allow it (the results and the thank-you page) still answer.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from fusiontrack.portal.views.patient import session_expired

            now = timezone.now()
            session = current_session(request, now)
            if session is None:
                return protect(session_expired(request))
            invitation = session.invitation
            request.portal_session = session  # type: ignore[attr-defined]
            request.invitation = invitation  # type: ignore[attr-defined]
            request.portal_now = now  # type: ignore[attr-defined]
            with translation.override(patient_language(invitation.patient)):
                if invitation.dob_required and not session.dob_verified and not allow_unverified:
                    return protect(redirect("portal:verify"))
                closed = closed_reason(invitation, now)
                if closed is not None and not allow_closed:
                    from fusiontrack.portal.views.patient import closed_page

                    return protect(closed_page(request, closed.reason))
                return protect(view(request, *args, **kwargs))

        return wrapper

    return decorate
