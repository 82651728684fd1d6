"""Registry models and services: site scoping, follow-up schedule, scores, audit, concurrency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from fusiontrack.registry import services
from fusiontrack.registry.models import (
    AuditEvent,
    Episode,
    FollowUp,
    HospitalStay,
    Operation,
    Patient,
    QuestionnaireResponse,
    ReferenceTrajectory,
    Score,
)
from tests.conftest import build_patient

pytestmark = pytest.mark.django_db


def test_mrn_is_unique_per_site_but_may_repeat_across_sites(personas):
    common = {
        "given_name": "A",
        "family_name": "B",
        "date_of_birth": dt.date(1970, 1, 1),
        "sex": "male",
    }
    Patient.objects.create(site=personas.north, mrn="123", **common)
    Patient.objects.create(site=personas.south, mrn="123", **common)
    with pytest.raises(IntegrityError):
        Patient.objects.create(site=personas.north, mrn="123", **common)


def test_episode_copies_the_patient_site_and_starts_its_stage_history(anna):
    episode = anna.episode
    assert episode.site_id == anna.patient.site_id
    stages = list(episode.stage_events.values_list("stage", flat=True))
    assert stages == ["evaluation", "recovery"]
    assert episode.stage == "recovery"


def test_recording_the_operation_sets_the_surgery_date_and_schedules_follow_ups(anna, today):
    surgery = today - dt.timedelta(days=400)
    assert Episode.objects.get(pk=anna.episode.pk).surgery_date == surgery
    follow_ups = {f.timepoint: f for f in FollowUp.objects.filter(episode=anna.episode)}
    assert set(follow_ups) == {"baseline", "6w", "3m", "6m", "12m", "24m"}
    assert follow_ups["12m"].due_on == dt.date(surgery.year + 1, surgery.month, surgery.day) or (
        surgery.month == 2 and surgery.day == 29
    )
    # Anna answered at baseline, 3 and 12 months: those are completed, 24 m is still pending.
    assert follow_ups["3m"].status == "completed"
    assert follow_ups["12m"].status == "completed"
    assert follow_ups["24m"].status == "pending"
    assert follow_ups["6w"].status == "pending"  # not answered; the scheduler marks it missed


def test_moving_the_operation_re_dates_pending_follow_ups_only(anna):
    op = anna.operation
    before = {f.timepoint: f for f in FollowUp.objects.filter(episode=anna.episode)}
    op_obj = Operation.objects.get(pk=op.pk)
    op_obj.operation_date = op_obj.operation_date + dt.timedelta(days=7)
    services.update_record(
        None, op_obj, before=services.audit.snapshot(op), expected_version=1, role="surgeon"
    )
    after = {f.timepoint: f for f in FollowUp.objects.filter(episode=anna.episode)}
    assert after["24m"].due_on == before["24m"].due_on + dt.timedelta(days=7)
    assert after["3m"].due_on == before["3m"].due_on  # completed: kept as it was


def test_responses_are_scored_by_the_core_and_mirrored_into_score_rows(anna):
    baseline = QuestionnaireResponse.objects.get(
        episode=anna.episode, instrument_id="odi", timepoint="baseline"
    )
    assert baseline.scores["odi"] == 46
    assert baseline.complete is True
    assert baseline.entry_mode == "staff"
    rows = dict(
        Score.objects.filter(episode=anna.episode, timepoint="12m").values_list("measure", "value")
    )
    assert rows["odi"] == 18.0
    assert rows["nrs_back"] == 3.0
    assert rows["nrs_leg"] == 2.0


def test_stale_edit_is_refused_with_a_clear_message(anna):
    first = Patient.objects.get(pk=anna.patient.pk)
    second = Patient.objects.get(pk=anna.patient.pk)
    snapshot = services.audit.snapshot(first)
    first.phone = "+46 70 000 00 01"
    services.update_record(None, first, before=snapshot, expected_version=1, role="surgeon")
    second.phone = "+46 70 000 00 02"
    with pytest.raises(services.StaleRecord, match="Someone else saved this record"):
        services.update_record(None, second, before=snapshot, expected_version=1, role="surgeon")
    assert Patient.objects.get(pk=anna.patient.pk).phone == "+46 70 000 00 01"
    assert Patient.objects.get(pk=anna.patient.pk).version == 2


def test_every_write_is_audited_with_old_and_new_values(anna):
    patient = Patient.objects.get(pk=anna.patient.pk)
    snapshot = services.audit.snapshot(patient)
    patient.email = "anna.berg@example.org"
    services.update_record(None, patient, before=snapshot, expected_version=1, role="coordinator")
    event = AuditEvent.objects.filter(action="update", object_type="patient").latest("id")
    assert event.changes == {"email": ["", "anna.berg@example.org"]}
    assert event.patient_id_ref == anna.patient.pk
    assert event.role == "coordinator"
    created = AuditEvent.objects.filter(action="create", patient_id_ref=anna.patient.pk)
    assert {"episode", "operation", "questionnaireresponse"} <= set(
        created.values_list("object_type", flat=True)
    )


def test_hospital_stay_computes_length_of_stay(anna):
    stay = HospitalStay.objects.create(
        episode=anna.episode,
        admission_date=dt.date(2025, 3, 3),
        discharge_date=dt.date(2025, 3, 7),
        destination="home",
    )
    assert stay.length_of_stay_days == 4


def test_reference_trajectories_give_median_and_iqr_per_time_point(personas, today):
    for i, (b, f) in enumerate([(20, 10), (22, 12), (24, 8), (26, 14), (30, 16)]):
        build_patient(
            personas.north,
            personas.sofia,
            mrn=f"R-{i}",
            today=today,
            odi_series={"baseline": b, "12m": f},
        )
    written = services.refresh_reference_trajectories(min_n=5)
    assert written > 0
    ref = ReferenceTrajectory.objects.get(measure="odi", group="all", timepoint="baseline")
    # ODI = 2 × total: baseline 40, 44, 48, 52, 60 → median 48, IQR 44–52 (linear quantiles).
    assert (ref.n, ref.p25, ref.median, ref.p75) == (5, 44.0, 48.0, 52.0)
    by_diagnosis = ReferenceTrajectory.objects.get(
        measure="odi", group="diagnosis:degenerative_spondylolisthesis", timepoint="12m"
    )
    assert by_diagnosis.median == 24.0


def test_refresh_command_reports_the_rows_written(personas, today):
    from io import StringIO

    from django.core.management import call_command

    for i in range(5):
        build_patient(personas.north, personas.sofia, mrn=f"C-{i}", today=today)
    out = StringIO()
    call_command("refresh_reference_trajectories", stdout=out)
    assert out.getvalue().strip() == (
        f"{ReferenceTrajectory.objects.count()} reference trajectory rows written."
    )


def test_stored_follow_up_statuses_agree_with_the_core_schedule(anna, today):
    """The worklist reads statuses from stored dates; they must match core.schedule's."""
    from fusiontrack.core.schedule import timepoint_statuses
    from fusiontrack.registry.scheduling import display_status

    surgery = Episode.objects.get(pk=anna.episode.pk).surgery_date
    pending = list(FollowUp.objects.filter(episode=anna.episode, status="pending"))
    for days in range(-120, 800, 7):
        as_of = surgery + dt.timedelta(days=days)
        core = {s.code: s.status for s in timepoint_statuses(surgery, as_of)}
        assert {f.timepoint: display_status(f, as_of) for f in pending} == {
            f.timepoint: core[f.timepoint] for f in pending
        }
