"""The patient's own "before vs now": plain sentences with the cited threshold, a chart, the
next questionnaire (issue 4 §4)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.portal_support import answer_all, invite, open_link

pytestmark = pytest.mark.django_db

DOB = dt.date(1961, 4, 12)


def test_odi_sentence_against_ostelo_2008():
    """Ostelo RWJG et al. Spine 2008;33(1):90–94: a 10-point ODI change is the minimal
    important change (fusiontrack.core.outcomes, default threshold set)."""
    from fusiontrack.portal.results import story

    told = story("odi", {"baseline": 46.0, "12m": 18.0})
    assert told.sentences[0] == "Your disability score went from 46 to 18. Lower is better."
    assert told.sentences[1] == "That is an improvement most patients notice."
    assert told.sentences[2] == (
        "A change of 10 points or more is one most patients notice (Ostelo 2008)."
    )
    assert told.tone == "good"
    assert "Glassman 2008" in told.detail  # the core's full explanation
    assert len(told.chart.dots) == 2


def test_small_change_and_worsening_are_worded_honestly():
    from fusiontrack.portal.results import story

    small = story("nrs_leg", {"baseline": 6.0, "3m": 5.0})
    assert small.sentences[1] == "That change is smaller than one most patients notice."
    worse = story("odi", {"baseline": 20.0, "6m": 40.0})
    assert worse.sentences[1].startswith("That is worse than before.")
    assert worse.tone == "bad"


def test_baseline_only_says_what_comes_next():
    from fusiontrack.portal.results import story

    told = story("eq5d_vas", {"baseline": 55.0})
    assert told.sentences == [
        "Your rating of your health today before surgery was 55. We will compare it with your "
        "answers after surgery. Higher is better."
    ]


def test_results_page_after_submitting(client, anna, today):
    _, token = invite(anna.episode)
    open_link(client, token, DOB)
    answer_all(client, odi_each=1)  # ODI 20 at 24 months
    client.post("/p/review/")
    page = client.get("/p/results/").content.decode()
    # Anna's baseline ODI is 46 (tests/conftest.py); her newest is today's 20.
    assert "Your disability score went from 46 to 20." in page
    assert "(Ostelo 2008)" in page
    assert '<svg viewBox="0 0 320 170" role="img"' in page
    assert "style=" not in page and "<script" not in page


def test_next_questionnaire_date_is_shown(client, personas):
    from fusiontrack.registry.models import FollowUp
    from tests.test_portal_scheduler import operated_patient

    patient, episode = operated_patient(personas.north, personas.sofia)
    _, token = invite(episode, "6w")
    open_link(client, token, patient.date_of_birth)
    client.post("/p/q/nrs/", {"item_nrs_back": 3, "item_nrs_leg": 2, "action": "next"})
    client.post("/p/review/")
    done = client.get("/p/done/").content.decode()
    upcoming = (
        FollowUp.objects.filter(
            episode=episode, status="pending", window_opens_on__gt=dt.date.today()
        )
        .order_by("due_on")
        .first()
    )
    if upcoming is None:
        assert "no other questionnaire planned" in done
    else:
        assert f"Your next questionnaire is due around {upcoming.due_on:%-d %B %Y}" in done


def test_results_read_is_audited(client, anna):
    from fusiontrack.registry.models import AuditEvent

    _, token = invite(anna.episode)
    open_link(client, token, DOB)
    client.get("/p/results/")
    assert AuditEvent.objects.filter(
        action="read", role="patient", patient_id_ref=anna.patient.pk, path="/p/results/"
    ).exists()
