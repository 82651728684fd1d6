"""Questionnaire pages: one instrument per page, answers saved as they go and resumable, plain
validation messages, idempotent submit scored through the registry (issue 4 §3)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.portal_support import EQ5D_ITEMS, answer_all, invite, odi_post, open_link

pytestmark = pytest.mark.django_db

DOB = dt.date(1961, 4, 12)


@pytest.fixture
def patient_client(client, anna):
    invitation, token = invite(anna.episode)
    open_link(client, token, DOB)
    client.invitation, client.token = invitation, token
    return client


def test_each_page_shows_one_instrument_with_progress_and_licence(patient_client):
    page = patient_client.get("/p/q/odi/").content.decode()
    assert "Questionnaire 1 of 3" in page
    assert "Oswestry Disability Index" in page
    assert 'name="item_odi_1"' in page and 'name="item_nrs_back"' not in page
    assert "Mapi Research Trust" in page  # the ODI licence notice
    assert "<script" not in page and "style=" not in page
    nrs = patient_client.get("/p/q/nrs/").content.decode()
    assert "Questionnaire 2 of 3" in nrs and "public domain" in nrs


def test_answers_are_saved_on_every_page_post_and_prefilled_later(patient_client):
    from fusiontrack.portal.models import DraftAnswers

    response = patient_client.post("/p/q/odi/", {**odi_post(2), "action": "next"})
    assert response.status_code == 302 and response["Location"] == "/p/q/nrs/"
    draft = DraftAnswers.objects.get(instrument_id="odi")
    assert draft.answers == {f"odi_{i}": 2 for i in range(1, 11)} and draft.finished
    page = patient_client.get("/p/q/odi/").content.decode()
    assert 'value="2" checked' in page


def test_out_of_range_answer_gets_a_plain_message_and_keeps_the_rest(patient_client):
    from fusiontrack.portal.models import DraftAnswers

    data = {**{f"item_{i}": "1" for i in EQ5D_ITEMS}, "item_eq5d_vas": "150", "action": "next"}
    response = patient_client.post("/p/q/eq5d5l/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please enter a whole number from 0 to 100." in page
    assert "Traceback" not in page
    draft = DraftAnswers.objects.get(instrument_id="eq5d5l")
    assert draft.answers == {i: 1 for i in EQ5D_ITEMS} and not draft.finished


def test_a_tampered_choice_is_refused_in_plain_words(patient_client):
    response = patient_client.post("/p/q/odi/", {**odi_post(1), "item_odi_3": "9"})
    assert "Please choose one of the answers shown." in response.content.decode()


def test_unanswered_questions_are_named_and_may_be_skipped(patient_client):
    data = odi_post(1)
    del data["item_odi_8"]
    response = patient_client.post("/p/q/odi/", {**data, "action": "next"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "You have not answered 1 question on this page" in page
    assert "Sex life" in page
    skipped = patient_client.post("/p/q/odi/", {**data, "action": "skip"})
    assert skipped["Location"] == "/p/q/nrs/"


def test_leave_midway_and_resume_with_the_same_link(client, anna):
    from fusiontrack.portal.models import DraftAnswers

    invitation, token = invite(anna.episode)
    open_link(client, token, DOB)
    client.post("/p/q/odi/", {**odi_post(1), "action": "next"})
    saved = client.post("/p/q/nrs/", {"item_nrs_back": "4", "action": "later"})
    assert "Your answers are saved" in saved.content.decode()
    assert client.get("/p/").status_code == 403  # the session ended
    open_link(client, token, DOB)
    home = client.get("/p/").content.decode()
    assert "Continue" in home
    assert home.count("done") >= 1 and "started" in home
    nrs = client.get("/p/q/nrs/").content.decode()
    assert 'value="4" checked' in nrs
    assert DraftAnswers.objects.filter(invitation=invitation).count() == 2


def test_submit_twice_creates_one_response_per_questionnaire(patient_client, anna):
    from fusiontrack.registry.models import FollowUp, QuestionnaireResponse, Score

    answer_all(patient_client, odi_each=1)
    before = QuestionnaireResponse.objects.filter(episode=anna.episode).count()
    first = patient_client.post("/p/review/")
    second = patient_client.post("/p/review/")
    assert first["Location"] == second["Location"] == "/p/done/"
    new = QuestionnaireResponse.objects.filter(episode=anna.episode, timepoint="24m")
    assert QuestionnaireResponse.objects.filter(episode=anna.episode).count() == before + 3
    odi = new.get(instrument_id="odi")
    assert odi.entry_mode == "patient" and odi.scores["odi"] == 20.0
    assert odi.entered_by is None
    assert Score.objects.filter(response=odi, measure="odi").get().value == 20.0
    eq = new.get(instrument_id="eq5d5l")
    assert eq.scores["eq5d_vas"] == 80
    assert FollowUp.objects.get(episode=anna.episode, timepoint="24m").status == "completed"
    patient_client.invitation.refresh_from_db()
    assert patient_client.invitation.completed_at is not None
    # The link is now "completed once".
    assert patient_client.get(f"/p/{patient_client.token}").status_code == 410


def test_concurrent_submits_race_to_one_response(anna, transactional_db):
    """Two submits at once (threads, real transactions): one wins, the other returns False."""
    import threading

    from django.db import connection
    from django.utils import timezone

    from fusiontrack.portal import submit
    from fusiontrack.registry.models import QuestionnaireResponse

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race is exercised on PostgreSQL")
    invitation, _ = invite(anna.episode)
    now = timezone.now()
    for instrument, answers in (("nrs", {"nrs_back": 2, "nrs_leg": 1}),):
        submit.save_draft(invitation, instrument, answers, finished=True, now=now)
    results: list[bool] = []

    def go() -> None:
        try:
            results.append(submit.submit(invitation, now=now, request=None))
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert QuestionnaireResponse.objects.filter(timepoint="24m", instrument_id="nrs").count() == 1


def test_incomplete_questionnaire_can_be_sent_with_a_warning(patient_client, anna):
    from fusiontrack.registry.models import QuestionnaireResponse

    patient_client.post("/p/q/odi/", {"item_odi_1": "3", "action": "skip"})
    review = patient_client.get("/p/review/").content.decode()
    assert "Some answers are missing" in review
    patient_client.post("/p/review/")
    odi = QuestionnaireResponse.objects.get(episode=anna.episode, timepoint="24m")
    assert odi.instrument_id == "odi" and odi.complete is False


def test_patient_cannot_open_an_instrument_outside_the_invitation(patient_client):
    assert patient_client.get("/p/q/comi_back/").status_code == 404


def test_submission_is_audited_with_the_patient_role(patient_client, anna):
    from fusiontrack.registry.models import AuditEvent

    answer_all(patient_client)
    patient_client.post("/p/review/", HTTP_USER_AGENT="PhoneBrowser/1.0")
    done = AuditEvent.objects.get(object_type="invitation", changes__has_key="completed_at")
    assert done.role == "patient" and done.user_agent == "PhoneBrowser/1.0"
    created = AuditEvent.objects.filter(object_type="questionnaireresponse", role="patient")
    assert created.count() == 3
