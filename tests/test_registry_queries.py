"""SQL query counts of the worklist and the patient page do not grow with the record's size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fusiontrack.registry.models import FollowUp
from tests.conftest import build_patient

pytestmark = pytest.mark.django_db

#: Measured on SQLite and PostgreSQL (session, user, memberships, patient, episodes, one query
#: per record type, follow-ups, responses, reference trajectories, audit insert).
PATIENT_PAGE_MAX = 25
WORKLIST_MAX = 12


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_patient_page_queries_do_not_grow_with_the_record(personas, client_for, today):
    small = build_patient(personas.north, personas.sofia, mrn="Q-1", today=today)
    large = build_patient(
        personas.north,
        personas.sofia,
        mrn="Q-2",
        today=today,
        odi_series={"baseline": 25, "6w": 20, "3m": 16, "6m": 12, "12m": 10},
        extra_responses=40,
        complications=12,
    )
    client = client_for(personas.sofia)
    n_small = _count(client, reverse("registry:patient_detail", args=[small.patient.pk]))
    n_large = _count(client, reverse("registry:patient_detail", args=[large.patient.pk]))
    assert n_small == n_large
    assert n_large <= PATIENT_PAGE_MAX


def test_worklist_queries_do_not_grow_with_the_number_of_rows(personas, client_for, today):
    client = client_for(personas.sofia)
    url = reverse("registry:worklist")

    def open_windows():
        FollowUp.objects.filter(timepoint="24m").update(
            window_opens_on=today - dt.timedelta(days=5),
            due_on=today,
            window_closes_on=today + dt.timedelta(days=30),
        )

    build_patient(personas.north, personas.sofia, mrn="W-0", today=today)
    open_windows()
    n_one = _count(client, url)
    for i in range(1, 12):
        build_patient(personas.north, personas.sofia, mrn=f"W-{i}", today=today)
    open_windows()
    n_many = _count(client, url)
    print(f"worklist: {n_many} queries")
    assert n_one == n_many
    assert n_many <= WORKLIST_MAX


def test_patient_page_query_count_is_known(personas, client_for, anna, django_assert_num_queries):
    client = client_for(personas.sofia)
    url = reverse("registry:patient_detail", args=[anna.patient.pk])
    client.get(url)  # warm caches (content types, instrument registry)
    n = _count(client, url)
    with django_assert_num_queries(n):
        client.get(url)
    print(f"patient page: {n} queries")
