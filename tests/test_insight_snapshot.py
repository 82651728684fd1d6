"""The all-sites cohort snapshot and its change log (fusiontrack.insight.snapshot, .changes):
one load serves every user's scope, saves are applied incrementally (also when another process
made them), bulk loads and restored logs force a full reload, and an expired snapshot is served
while it reloads in the background.

Personas: Anna (North, Dr Lind), Birger (North) and Dagny (South, Dr Kim); only Anna consents
to research.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pandas as pd
import pytest

from fusiontrack.insight import changes, queries, snapshot
from fusiontrack.insight.models import CohortChange
from tests.conftest import build_patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_snapshot(monkeypatch):
    monkeypatch.setenv("FUSIONTRACK_INSIGHT_CACHE_SECONDS", "300")
    snapshot.invalidate()
    yield
    snapshot.invalidate()


@pytest.fixture
def full_loads(monkeypatch):
    """Count full loads (``load_snapshot()`` without episode ids); still load for real."""
    calls: list[object] = []
    done = threading.Event()
    real = queries.load_snapshot

    def counting(episode_ids=None):
        data = real(episode_ids)
        if episode_ids is None:
            calls.append(data)
            done.set()
        return data

    monkeypatch.setattr(snapshot, "load_snapshot", counting)
    return calls, done


@pytest.fixture
def registry(personas, today):
    from fusiontrack.registry.models import Patient

    p = personas
    anna = build_patient(p.north, p.sofia, mrn="N-1001", today=today, complications=1)
    birger = build_patient(
        p.north, p.sofia, mrn="N-1002", given="Birger", family="Nilsson", today=today
    )
    dagny = build_patient(p.south, p.kim, mrn="S-2001", given="Dagny", family="Holm", today=today)
    Patient.objects.filter(pk=anna.patient.pk).update(consent_research=True)
    return p, anna, birger, dagny


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in frame.columns if c != "id"]
    out = frame[columns].copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(str)
    return out.sort_values(columns, kind="stable").reset_index(drop=True)


def assert_same_cohort(a: queries.CohortData, b: queries.CohortData) -> None:
    """Same episodes, scores and events, whatever the row order."""
    assert sorted(a.episodes.index) == sorted(b.episodes.index)
    pd.testing.assert_frame_equal(
        a.episodes.sort_index()[sorted(b.episodes.columns)],
        b.episodes.sort_index()[sorted(b.episodes.columns)],
        check_dtype=False,
        check_index_type=False,
    )
    for name in ("scores", "complications", "reoperations", "stays", "fusion", "work"):
        pd.testing.assert_frame_equal(
            _sorted(getattr(a, name)),
            _sorted(getattr(b, name)),
            check_dtype=False,
            check_index_type=False,
        )
    if a.wide_all.empty and b.wide_all.empty:
        return
    wide_a = a.wide_all.sort_index().sort_index(axis=1)
    wide_b = b.wide_all.sort_index().sort_index(axis=1)
    pd.testing.assert_frame_equal(wide_a, wide_b, check_dtype=False, check_names=False)


def test_one_load_serves_every_scope(registry, today, full_loads):
    p, anna, birger, dagny = registry
    calls, _ = full_loads
    both = snapshot.full_cohort([p.north.pk, p.south.pk], today)
    north = snapshot.full_cohort([p.north.pk], today)
    research = snapshot.full_cohort([p.north.pk], today, research=True)
    too_early = snapshot.full_cohort([p.north.pk, p.south.pk], today - dt.timedelta(days=401))
    assert len(calls) == 1
    assert set(both.episodes["patient_id"]) == {
        anna.patient.pk,
        birger.patient.pk,
        dagny.patient.pk,
    }
    assert set(north.episodes["patient_id"]) == {anna.patient.pk, birger.patient.pk}
    assert set(research.episodes["patient_id"]) == {anna.patient.pk}
    assert too_early.episodes.empty  # everyone was operated 400 days before today
    assert north.as_of == today


def test_scopes_equal_a_direct_sql_load(registry, today):
    from fusiontrack.insight.filters import CohortFilter

    p, *_ = registry
    for sites in ([p.north.pk], [p.south.pk], [p.north.pk, p.south.pk]):
        for research in (False, True):
            assert_same_cohort(
                snapshot.full_cohort(sites, today, research=research),
                queries.load_cohort(sites, CohortFilter(), as_of=today, research=research),
            )


def test_a_save_is_applied_without_a_full_reload(registry, today, full_loads):
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.registry.models import Complication

    p, _anna, birger, _ = registry
    calls, _ = full_loads
    before = snapshot.full_cohort([p.north.pk], today)
    assert (before.complications["episode_id"] == birger.episode.pk).sum() == 0
    Complication.objects.create(
        episode=birger.episode,
        occurred_on=today - dt.timedelta(days=390),
        category="dural_tear",
        clavien_dindo="I",
    )
    after = snapshot.full_cohort([p.north.pk], today)
    assert len(calls) == 1
    assert (after.complications["episode_id"] == birger.episode.pk).sum() == 1
    assert_same_cohort(
        after, queries.load_cohort([p.north.pk], CohortFilter(), as_of=today, research=False)
    )


def test_every_kind_of_change_matches_a_fresh_load(registry, today, full_loads):
    """New responses (scores), a changed diagnosis, withdrawn consent, a deleted episode and a
    new patient: the patched snapshot equals a fresh load, derived MCID flags included."""
    from fusiontrack.insight.aggregates import episode_flags
    from fusiontrack.registry import services
    from fusiontrack.registry.models import Diagnosis, Episode, Patient
    from tests.conftest import odi_answers

    p, anna, birger, dagny = registry
    calls, _ = full_loads
    sites = [p.north.pk, p.south.pk]
    warm = snapshot.full_cohort(sites, today)
    episode_flags(warm, "odi", "12m")  # derived on the snapshot, carried over by patches

    services.save_response(
        None,
        episode=birger.episode,
        instrument_id="odi",
        timepoint="6m",
        responded_on=today - dt.timedelta(days=400 - 182),
        answers=odi_answers(5),
        entry_mode="staff",
        role="surgeon",
        entered_by=p.sofia,
    )
    diagnosis = Diagnosis.objects.get(episode=birger.episode)
    diagnosis.diagnosis = "degenerative_disc_disease"
    diagnosis.save()
    patient = Patient.objects.get(pk=anna.patient.pk)
    patient.consent_withdrawn_date = today
    patient.save()
    Episode.objects.get(pk=dagny.episode.pk).delete()
    eve = build_patient(p.south, p.kim, mrn="S-2002", given="Eve", family="Ek", today=today)

    patched = snapshot.full_cohort(sites, today)
    assert len(calls) == 1
    fresh = queries.load_snapshot().scope(sites, today, research=False)
    assert_same_cohort(patched, fresh)
    assert set(patched.episodes["patient_id"]) == {birger.patient.pk, eve.patient.pk}
    assert patched.episodes.loc[birger.episode.pk, "diagnosis"] == "degenerative_disc_disease"
    flags = episode_flags(patched, "odi", "12m")
    recomputed = episode_flags(fresh, "odi", "12m")
    pd.testing.assert_frame_equal(flags.sort_index(), recomputed.sort_index(), check_names=False)


def test_a_change_from_another_process_is_seen_on_the_next_view(registry, today, full_loads):
    """Another process's write that bypassed this process's signals, announced only by its
    change row, reaches this process's snapshot."""
    from fusiontrack.registry.models import Operation

    p, anna, *_ = registry
    calls, _ = full_loads
    assert snapshot.full_cohort([p.north.pk], today).episodes.loc[anna.episode.pk, "approach"] == (
        "tlif"
    )
    Operation.objects.filter(episode=anna.episode).update(approach="plif")  # no signal
    assert snapshot.full_cohort([p.north.pk], today).episodes.loc[anna.episode.pk, "approach"] == (
        "tlif"
    )
    CohortChange.objects.create(episode_id=anna.episode.pk)  # what the other process wrote
    view = snapshot.full_cohort([p.north.pk], today)
    assert view.episodes.loc[anna.episode.pk, "approach"] == "plif"
    assert len(calls) == 1


def _approach(today, site, episode) -> str:  # type: ignore[no-untyped-def]
    return snapshot.full_cohort([site.pk], today).episodes.loc[episode.pk, "approach"]


@pytest.mark.parametrize("distance", [3, 800])
def test_a_change_committed_late_below_the_applied_id_is_still_applied(registry, today, distance):
    """PostgreSQL hands out ids at insert and shows rows at commit: a long transaction's row
    (here: an id left free, then written after higher ones were applied) appears below ids
    already applied, however far below, and is applied when it shows."""
    from fusiontrack.registry.models import Operation

    p, anna, birger, _ = registry
    snapshot.full_cohort([p.north.pk], today)
    start = changes.cursor_at_load(1, time.monotonic()).applied
    late_id = start + 1  # taken by the long transaction, not visible yet
    CohortChange.objects.create(id=start + 1 + distance, episode_id=anna.episode.pk)
    snapshot.full_cohort([p.north.pk], today)
    assert late_id in dict(snapshot._STATE.cursor.missing_since)
    Operation.objects.filter(episode=birger.episode).update(approach="alif")
    CohortChange.objects.create(id=late_id, episode_id=birger.episode.pk)  # its commit
    assert _approach(today, p.north, birger.episode) == "alif"
    cursor = snapshot._STATE.cursor
    assert late_id in cursor.seen or cursor.floor >= late_id
    assert late_id not in dict(cursor.missing_since)


def test_a_patient_without_episodes_changes_nothing_and_breaks_nothing(registry, today, full_loads):
    from fusiontrack.registry.models import Patient

    p, *_ = registry
    calls, _ = full_loads
    before = snapshot.full_cohort([p.north.pk], today)
    Patient.objects.create(
        site=p.north,
        mrn="N-9",
        given_name="New",
        family_name="Referral",
        sex="male",
        date_of_birth=dt.date(1970, 1, 1),
    )
    assert snapshot.full_cohort([p.north.pk], today) is before
    assert snapshot._STATE.cursor.applied == changes.cursor_at_load(1, 0.0).applied
    assert len(calls) == 1


@pytest.fixture
def reload_in_request(monkeypatch):
    monkeypatch.setattr(snapshot, "RELOAD_IN_BACKGROUND", False)


def test_mark_everything_forces_one_full_reload(registry, today, full_loads, reload_in_request):
    p, *_ = registry
    calls, _ = full_loads
    snapshot.full_cohort([p.north.pk], today)
    changes.mark_everything()
    snapshot.full_cohort([p.north.pk], today)
    snapshot.full_cohort([p.north.pk], today)
    assert len(calls) == 2


def test_a_restored_change_log_forces_a_full_reload(registry, today, full_loads, reload_in_request):
    p, anna, *_ = registry
    calls, _ = full_loads
    CohortChange.objects.create(episode_id=anna.episode.pk)
    snapshot.full_cohort([p.north.pk], today)
    assert snapshot._STATE.cursor.applied > 0
    CohortChange.objects.all().delete()  # e.g. a restore of a backup taken long ago
    snapshot.full_cohort([p.north.pk], today)
    assert len(calls) == 2


def test_cursor_tracks_missing_ids_until_they_show_or_expire():
    cursor = changes.Cursor(floor=10).advance([11, 14], now=0.0)
    assert (cursor.floor, cursor.applied) == (11, 14)
    assert [i for i, _ in cursor.missing_since] == [12, 13]
    cursor = cursor.advance([13], now=5.0)
    assert (cursor.floor, sorted(cursor.seen)) == (11, [13, 14])
    cursor = cursor.advance([], now=changes.MAX_GAP_SECONDS + 1)  # 12 rolled back
    assert (cursor.floor, cursor.seen, cursor.missing_since) == (14, frozenset(), ())
    jump = changes.Cursor(floor=1).advance([changes.MAX_GAP_IDS + 10], now=0.0)
    assert jump.floor == changes.MAX_GAP_IDS + 10  # a sequence jump is not tracked id by id


def test_deleting_a_patient_writes_one_change_row(registry, today):
    from fusiontrack.registry.models import Patient

    p, anna, *_ = registry
    CohortChange.objects.all().delete()
    Patient.objects.get(pk=anna.patient.pk).delete()
    assert list(CohortChange.objects.values_list("patient_id", "episode_id")) == [
        (anna.patient.pk, None)
    ]
    view = snapshot.full_cohort([p.north.pk], today)
    assert anna.episode.pk not in view.episodes.index


def test_site_rename_reloads_everything_and_other_site_saves_nothing(registry, today):
    p, *_ = registry
    CohortChange.objects.all().delete()
    p.north.name = "North Spine Centre (new wing)"
    p.north.save()
    assert CohortChange.objects.count() == 0
    p.north.code = "nsc"
    p.north.save()
    assert list(CohortChange.objects.values_list("everything", flat=True)) == [True]


def test_surgeon_renamed_or_deleted_reaches_the_snapshot(registry, today):
    from django.contrib.auth import get_user_model

    p, anna, *_ = registry
    view = snapshot.full_cohort([p.north.pk], today)
    assert view.episodes.loc[anna.episode.pk, "surgeon_id"] == p.sofia.pk
    sofia = get_user_model().objects.get(pk=p.sofia.pk)
    sofia.last_login = timezone_now()
    sofia.save(update_fields=["last_login"])  # a login: not a rename
    assert snapshot.full_cohort([p.north.pk], today) is view
    sofia.last_name = "Lind-Berg"
    sofia.save()
    assert snapshot.full_cohort([p.north.pk], today).surgeon_names[sofia.pk].endswith("Lind-Berg")
    sofia.delete()
    assert pd.isna(
        snapshot.full_cohort([p.north.pk], today).episodes.loc[anna.episode.pk, "surgeon_id"]
    )


def timezone_now():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.now()


def test_only_records_the_cohort_reads_write_change_rows(registry, today):
    from fusiontrack.registry.models import FollowUp, Reoperation

    _, anna, *_ = registry
    CohortChange.objects.all().delete()
    follow_up = FollowUp.objects.filter(episode=anna.episode).first()
    follow_up.save()
    assert CohortChange.objects.count() == 0
    Reoperation.objects.create(
        episode=anna.episode, reoperation_date=today - dt.timedelta(days=30), reason="other"
    )
    assert list(CohortChange.objects.values_list("episode_id", flat=True)) == [anna.episode.pk]


def test_prune_keeps_recent_change_rows_and_the_newest(registry, today):
    from django.utils import timezone

    old = CohortChange.objects.create(everything=True)
    newest = CohortChange.objects.create(everything=True)
    recent = CohortChange.objects.create(everything=True)
    CohortChange.objects.filter(pk__in=[old.pk, recent.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )
    CohortChange.objects.filter(pk=recent.pk).update(created_at=timezone.now())
    CohortChange.objects.filter(pk=newest.pk).update(created_at=timezone.now())
    changes.prune(timezone.now() - dt.timedelta(days=1))
    remaining = set(CohortChange.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {newest.pk, recent.pk} <= remaining
    CohortChange.objects.update(created_at=timezone.now() - dt.timedelta(days=3))
    changes.prune(timezone.now() - dt.timedelta(days=1))
    assert set(CohortChange.objects.values_list("pk", flat=True)) == {recent.pk}


def _age(seconds: float) -> None:
    snapshot._STATE.loaded_at = time.monotonic() - seconds


@pytest.mark.django_db(transaction=True)  # the background thread has its own connection
def test_expired_snapshot_is_served_while_reloaded_in_background(registry, today, full_loads):
    p, *_ = registry
    calls, done = full_loads
    first = snapshot.full_cohort([p.north.pk], today)
    done.clear()
    _age(301)
    assert snapshot.full_cohort([p.north.pk], today) is first  # stale, no wait
    assert done.wait(10)
    for _ in range(100):
        if not snapshot._STATE.refreshing:
            break
        time.sleep(0.02)
    assert snapshot.full_cohort([p.north.pk], today) is not first
    assert len(calls) == 2


def test_snapshot_older_than_twice_the_expiry_is_reloaded_before_answering(
    registry, today, full_loads
):
    p, *_ = registry
    calls, _ = full_loads
    snapshot.full_cohort([p.north.pk], today)
    _age(601)
    snapshot.full_cohort([p.north.pk], today)
    assert len(calls) == 2


def test_invalidate_forgets_the_snapshot(registry, today, full_loads):
    p, *_ = registry
    calls, _ = full_loads
    snapshot.full_cohort([p.north.pk], today)
    snapshot.invalidate()
    snapshot.full_cohort([p.north.pk], today)
    assert len(calls) == 2


def test_shared_derived_results_do_not_depend_on_which_cohort_asked_first(registry, today):
    """MCID/SCB/PASS flags are cached once for every sub-cohort; computing them first for a
    filtered cohort (North only) must not leave South's patients out of a later view."""
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.insight.service import compute

    p, *_ = registry
    sites = [p.north.pk, p.south.pk]

    def thresholds(filters: CohortFilter, cached: bool) -> pd.DataFrame:
        view = compute(sites, filters, as_of=today, deidentified=False, models=False, cached=cached)
        return view.board.tables["thresholds"].frame

    thresholds(CohortFilter(site="north"), cached=True)  # fills the shared cache first
    pd.testing.assert_frame_equal(
        thresholds(CohortFilter(), cached=True), thresholds(CohortFilter(), cached=False)
    )


def test_results_are_remembered_per_snapshot_version(registry, today):
    """The page, its CSVs and the PDF share one computation until the registry changes."""
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.insight.service import compute
    from fusiontrack.registry.models import Complication

    p, _anna, birger, _ = registry

    def view():  # type: ignore[no-untyped-def]
        return compute([p.north.pk], CohortFilter(), as_of=today, deidentified=False)

    first, second = view(), view()
    assert second.board.tables["means"] is first.board.tables["means"]
    assert "radiographic" in second.board.tables  # per-request parts are still added
    assert first.board.tables["complications"].frame.iloc[0]["n_patients"] == 1
    Complication.objects.create(
        episode=birger.episode, occurred_on=today, category="dural_tear", clavien_dindo="I"
    )
    third = view()
    assert third.board.tables["means"] is not first.board.tables["means"]
    assert third.board.tables["complications"].frame.iloc[0]["n_patients"] == 2
