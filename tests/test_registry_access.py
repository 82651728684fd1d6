"""Access matrix: every staff URL × every persona gets the expected status.

Rules (fusiontrack/registry/access.py): staff with a clinical role see their own site's patients;
another site's patient is a 404 (not revealed); researchers never open identifiable pages (403);
a physiotherapist reads everything at the site but writes only conservative care, work status
and questionnaires; anonymous users are sent to the login page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from fusiontrack.registry.models import Complication, QuestionnaireResponse

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "sofia", "omar", "pia", "kim", "rhea", "ada")

# url name -> expected status per persona (same order as PERSONAS)
MATRIX = {
    "worklist": (302, 200, 200, 200, 200, 403, 200),
    "patient_list": (302, 200, 200, 200, 200, 403, 200),
    "patient_create": (302, 200, 200, 403, 404, 403, 200),
    "patient_detail": (302, 200, 200, 200, 404, 403, 200),
    "patient_edit": (302, 200, 200, 403, 404, 403, 200),
    "episode_create": (302, 200, 200, 403, 404, 403, 200),
    "episode_edit": (302, 200, 200, 403, 404, 403, 200),
    "record_create_complication": (302, 200, 200, 403, 404, 403, 200),
    "record_create_conservative": (302, 200, 200, 200, 404, 403, 200),
    "record_edit": (302, 200, 200, 403, 404, 403, 200),
    "record_delete": (302, 200, 200, 403, 404, 403, 200),
    "response_create": (302, 200, 200, 200, 404, 403, 200),
    "response_detail": (302, 200, 200, 200, 404, 403, 200),
    "stage_change": (302, 302, 302, 403, 404, 403, 302),
    "admin": (302, 302, 302, 302, 302, 302, 200),
}
POST_ONLY = {"stage_change"}


def _url(name, anna, personas):
    complication = Complication.objects.get(episode=anna.episode)
    response = QuestionnaireResponse.objects.filter(episode=anna.episode).first()
    e, p = anna.episode.pk, anna.patient.pk
    return {
        "worklist": reverse("registry:worklist"),
        "patient_list": reverse("registry:patient_list"),
        "patient_create": reverse("registry:patient_create") + f"?site={personas.north.pk}",
        "patient_detail": reverse("registry:patient_detail", args=[p]),
        "patient_edit": reverse("registry:patient_edit", args=[p]),
        "episode_create": reverse("registry:episode_create", args=[p]),
        "episode_edit": reverse("registry:episode_edit", args=[e]),
        "record_create_complication": reverse("registry:record_create", args=[e, "complication"]),
        "record_create_conservative": reverse(
            "registry:record_create", args=[e, "conservative-care"]
        ),
        "record_edit": reverse("registry:record_edit", args=["complication", complication.pk]),
        "record_delete": reverse("registry:record_delete", args=["complication", complication.pk]),
        "response_create": reverse("registry:response_create", args=[e]),
        "response_detail": reverse("registry:response_detail", args=[response.pk]),
        "stage_change": reverse("registry:stage_change", args=[e]),
        "admin": reverse("admin:index"),
    }[name]


@pytest.mark.parametrize("name", MATRIX)
def test_access_matrix(name, personas, anna, client, today):
    Complication.objects.create(
        episode=anna.episode, occurred_on=today, category="durotomy", clavien_dindo="I"
    )
    url = _url(name, anna, personas)
    got = []
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(getattr(personas, persona))
        if name in POST_ONLY:
            data = {"stage": "recovery", "entered_on": today.isoformat()}
            got.append(client.post(url, data).status_code)
        else:
            got.append(client.get(url).status_code)
    assert dict(zip(PERSONAS, got, strict=True)) == dict(zip(PERSONAS, MATRIX[name], strict=True))


def test_outsider_cannot_change_another_sites_record_by_posting(personas, anna, client, today):
    complication = Complication.objects.create(
        episode=anna.episode, occurred_on=today, category="durotomy", clavien_dindo="I"
    )
    client.force_login(personas.kim)
    url = reverse("registry:record_delete", args=["complication", complication.pk])
    assert client.post(url).status_code == 404
    assert Complication.objects.filter(pk=complication.pk).exists()


def test_unknown_record_kind_is_a_404(personas, anna, client):
    client.force_login(personas.sofia)
    url = reverse("registry:record_create", args=[anna.episode.pk, "horoscope"])
    assert client.get(url).status_code == 404


def test_researcher_sees_no_identifiers_on_the_403_page(personas, anna, client):
    client.force_login(personas.rhea)
    response = client.get(reverse("registry:patient_detail", args=[anna.patient.pk]))
    assert response.status_code == 403
    assert b"Berg" not in response.content and b"N-1001" not in response.content
