"""The patient's language: one language per page (fusiontrack.portal.language)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.portal_support import invite, open_link

pytestmark = pytest.mark.django_db


def test_patient_language_falls_back_to_english_without_a_portal_catalogue():
    from fusiontrack.portal.language import patient_language
    from fusiontrack.registry.models import Patient

    assert patient_language(Patient(preferred_language="en")) == "en"
    assert patient_language(Patient(preferred_language="de")) == "en"  # no German catalogue yet
    assert patient_language(Patient(preferred_language="")) == "en"


def test_german_speaking_patient_never_reads_english_text_with_german_dates(client, anna):
    """Anna prefers German; the portal has only English, so her expiry date is English too
    (it was "8 Dezember" inside an English sentence)."""
    from fusiontrack.registry.models import Patient

    Patient.objects.filter(pk=anna.patient.pk).update(preferred_language="de")
    invitation, token = invite(anna.episode, "24m")
    page = open_link(client, token, dt.date(1961, 4, 12))
    page = client.get("/p/").content.decode()
    expires = invitation.expires_at
    assert f"{expires.day} {expires:%B} {expires.year}" in page
    assert 'lang="en"' in page
