"""Helpers shared by the portal tests (tests/test_portal_*.py, tests/test_browser_portal.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

ODI_ITEMS = [f"odi_{i}" for i in range(1, 11)]
EQ5D_ITEMS = ["eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad"]


def invite(episode: Any, timepoint: str = "24m", now: dt.datetime | None = None) -> tuple[Any, str]:
    """(invitation, raw token) created as the CLI does."""
    from fusiontrack.portal.invitations import create_invitation, mint_token

    moment = now or timezone.now()
    invitation = create_invitation(
        episode=episode, timepoint=timepoint, now=moment, source="cli", role="cli"
    )
    return invitation, mint_token(invitation, now=moment, purpose="cli")


def open_link(client: Any, token: str, date_of_birth: dt.date | None = None) -> Any:
    """Open the link and, when given, pass the date-of-birth check. Returns the last response."""
    response = client.get(f"/p/{token}")
    if date_of_birth is not None:
        response = client.post(
            "/p/verify/",
            {"day": date_of_birth.day, "month": date_of_birth.month, "year": date_of_birth.year},
        )
    return response


def odi_post(total_each: int = 1) -> dict[str, str]:
    return {f"item_{item}": str(total_each) for item in ODI_ITEMS}


def answer_all(client: Any, *, odi_each: int = 1, back: int = 3, leg: int = 2) -> None:
    """Answer ODI, NRS and EQ-5D-5L pages (no submit)."""
    client.post("/p/q/odi/", {**odi_post(odi_each), "action": "next"})
    client.post("/p/q/nrs/", {"item_nrs_back": back, "item_nrs_leg": leg, "action": "next"})
    client.post(
        "/p/q/eq5d5l/",
        {**{f"item_{i}": "2" for i in EQ5D_ITEMS}, "item_eq5d_vas": "80", "action": "next"},
    )
