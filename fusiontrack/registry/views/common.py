"""Small helpers shared by the views."""

from __future__ import annotations

import datetime as dt

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
