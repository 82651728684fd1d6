"""Small helpers shared by the views."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

PAGE_SIZE = 50


def today() -> dt.date:
    """The local date of this request (the one place views read the clock)."""
    return timezone.localdate()


def paginate(request: HttpRequest, qs: QuerySet, count: int | None = None) -> Page:
    paginator = Paginator(qs, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # reuse a count already made for the tab badge
    return paginator.get_page(request.GET.get("page"))


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def save_edit(request: HttpRequest, form: Any, *, before: dict[str, Any], site_id: int) -> bool:
    """Save a valid edit form through the audited service with its version check.

    Returns True when saved; on a stale version (someone else saved first) the conflict is
    added to the form as a non-field error and nothing is written.
    """
    from fusiontrack.registry import access, services

    try:
        services.update_record(
            request,
            form.save(commit=False),
            before=before,
            expected_version=form.cleaned_data.get("version"),
            role=access.role_at(request, site_id) or "",
        )
    except services.StaleRecord as exc:
        form.add_error(None, str(exc))
        return False
    return True
