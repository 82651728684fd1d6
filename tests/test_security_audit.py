"""Audit trail (issue 6 §3): hash chain, append-only table, verify command, what gets recorded."""

from __future__ import annotations

import itertools
import threading

import pytest
from click.testing import CliRunner
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from fusiontrack.registry import audit, services
from fusiontrack.registry.models import AuditEvent, QuestionnaireResponse
from fusiontrack.security.cli import audit_group

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security_urls")]


def _tamper(sql: str, params: list) -> None:
    """Run an UPDATE/DELETE around the append-only trigger (as a DB superuser could)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE registry_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS registry_auditevent_no_update")
        cursor.execute(sql, params)


def test_entries_form_an_unbroken_chain(anna):
    entries = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    report = audit.verify_chain()
    assert report.ok and report.entries == len(entries) > 5


def test_verify_names_the_first_edited_entry(anna):
    target = AuditEvent.objects.order_by("sequence")[2]
    _tamper("UPDATE registry_auditevent SET username = %s WHERE id = %s", ["mallory", target.pk])
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken.sequence == target.sequence
    assert "edited" in report.broken.problem


def test_verify_names_the_entry_after_a_deleted_one(anna):
    target = AuditEvent.objects.order_by("sequence")[3]
    _tamper("DELETE FROM registry_auditevent WHERE id = %s", [target.pk])
    report = audit.verify_chain()
    assert report.broken.sequence == target.sequence + 1
    assert "missing" in report.broken.problem


def test_verify_command_exits_non_zero_naming_the_broken_entry(anna):
    runner = CliRunner()
    ok = runner.invoke(audit_group, ["verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    target = AuditEvent.objects.order_by("sequence")[1]
    _tamper("UPDATE registry_auditevent SET reason = %s WHERE id = %s", ["oops", target.pk])
    broken = runner.invoke(audit_group, ["verify"])
    assert broken.exit_code == 1
    assert f"#{target.sequence} (id {target.pk})" in broken.output


def test_update_of_an_audit_row_is_refused_by_the_database(anna):
    """Append-only at the database (checklist B4): the trigger rejects UPDATE on SQLite and
    UPDATE and DELETE on PostgreSQL, whatever the application does."""
    entry = AuditEvent.objects.order_by("sequence").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=entry.pk).update(username="mallory")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.username != "mallory"


def test_a_patient_page_view_records_who_what_when_and_from_where(personas, anna, client):
    client.force_login(personas.sofia)
    client.get(
        reverse("registry:patient_detail", args=[anna.patient.pk]),
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="10.1.2.3",
    )
    event = AuditEvent.objects.filter(action="read", object_type="patient").latest("sequence")
    assert (event.username, event.role, event.patient_id_ref) == (
        "sofia",
        "surgeon",
        anna.patient.pk,
    )
    assert (event.ip_address, event.user_agent) == ("10.1.2.3", "Firefox/140")
    assert event.at is not None and event.at.utcoffset().total_seconds() == 0


def test_worklist_and_patient_list_record_the_patients_shown(personas, anna, client):
    client.force_login(personas.omar)
    client.get(reverse("registry:patient_list"))
    client.get(reverse("registry:worklist") + "?tab=followup")
    listed = AuditEvent.objects.get(object_type="patient_list")
    assert listed.detail["patients_shown"] == [anna.patient.pk]
    assert listed.username == "omar"
    assert AuditEvent.objects.filter(object_type="worklist", username="omar").exists()


def test_changing_a_completed_questionnaire_requires_a_reason(personas, anna, client):
    response = QuestionnaireResponse.objects.get(
        episode=anna.episode, instrument_id="nrs", timepoint="3m"
    )
    url = reverse("registry:response_edit", args=[response.pk])
    client.force_login(personas.omar)
    detail = client.get(reverse("registry:response_detail", args=[response.pk]))
    assert url.encode() in detail.content  # the way in from the response page
    data = {"item_nrs_back": "4", "item_nrs_leg": "2", "version": response.version, "reason": ""}
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert b"Say why you are changing it" in refused.content
    response.refresh_from_db()
    assert response.answers["nrs_back"] == 3

    data["reason"] = "transcription error: paper form says 4"
    assert client.post(url, data).status_code == 302
    response.refresh_from_db()
    assert response.answers["nrs_back"] == 4 and response.scores["nrs_back"] == 4
    event = AuditEvent.objects.filter(action="update", object_type="questionnaireresponse").latest(
        "sequence"
    )
    assert event.reason == "transcription error: paper form says 4"
    assert event.changes["answers"][0]["nrs_back"] == 3
    assert event.changes["answers"][1]["nrs_back"] == 4
    assert audit.verify_chain().ok


def test_a_stale_amendment_is_a_conflict_not_a_lost_update(personas, anna):
    response = QuestionnaireResponse.objects.get(
        episode=anna.episode, instrument_id="nrs", timepoint="3m"
    )
    loaded = response.version
    services.amend_response(
        None,
        response,
        answers={"nrs_back": 5, "nrs_leg": 2},
        reason="first",
        expected_version=loaded,
        role="coordinator",
    )
    with pytest.raises(services.StaleRecord):
        services.amend_response(
            None,
            QuestionnaireResponse.objects.get(pk=response.pk),
            answers={"nrs_back": 1, "nrs_leg": 1},
            reason="second",
            expected_version=loaded,
            role="coordinator",
        )
    response.refresh_from_db()
    assert response.answers["nrs_back"] == 5


def test_admin_reads_a_patients_audit_trail_others_do_not(personas, anna, client):
    url = reverse("security:patient_audit", args=[anna.patient.pk])
    client.force_login(personas.ada)
    page = client.get(url)
    assert page.status_code == 200 and b"N-1001" in page.content
    csv_export = client.get(url + "?format=csv")
    assert csv_export.status_code == 200
    assert csv_export.content.startswith(b"sequence,at,username")
    for persona, expected in (("sofia", 403), ("kim", 404), ("rhea", 403)):
        client.force_login(getattr(personas, persona))
        assert client.get(url).status_code == expected, persona


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_concurrent_appends_keep_one_chain_on_postgresql():
    """Eight threads append 25 entries each at once; the advisory lock keeps sequences unique
    and every link intact."""
    from django.db import connections

    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                audit.record_event(None, "read", "probe", f"{n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = audit.verify_chain()
    assert report.ok and report.entries == 200


def test_a_refused_request_is_audited_without_identifiers(personas, anna, client):
    client.force_login(personas.rhea)
    assert client.get(reverse("registry:patient_detail", args=[anna.patient.pk])).status_code == 403
    event = AuditEvent.objects.get(action="denied")
    assert event.username == "rhea"
    assert event.path == f"/patients/{anna.patient.pk}/"
    assert "Berg" not in str(event.detail)


def test_a_recorded_head_detects_a_truncated_tail(anna):
    runner = CliRunner()
    first = runner.invoke(audit_group, ["verify"])
    head = first.output.strip().rsplit("head ", 1)[1]
    assert runner.invoke(audit_group, ["verify", "--expect", head]).exit_code == 0
    last = AuditEvent.objects.order_by("sequence").last()
    _tamper("DELETE FROM registry_auditevent WHERE id = %s", [last.pk])
    report = audit.verify_chain()  # the head row still records the removed entry
    assert (
        report.broken.sequence == last.sequence and "removed from the end" in report.broken.problem
    )
    truncated = runner.invoke(audit_group, ["verify", "--expect", head])
    assert truncated.exit_code == 1 and "broken" in truncated.output


def test_the_canonical_json_splits_exactly_around_sequence_and_prev_hash(anna):
    """The database computes the hash from three parts around the values only the head knows;
    reassembled they must be exactly the canonical JSON the verifier hashes."""
    from fusiontrack.registry.audit import _canonical_parts, canonical

    for entry in AuditEvent.objects.all():
        p0, p1, p2 = _canonical_parts(entry)
        assert p0 + entry.prev_hash + p1 + str(entry.sequence) + p2 == canonical(entry)


def test_a_patients_history_replays_from_the_audit_alone(personas, client):
    """Checklist B2: create and two edits through the forms; replaying the audit entries gives
    the stored record field for field, and every old value is still in the trail."""
    client.force_login(personas.omar)
    form = {
        "mrn": "N-3003",
        "given_name": "Lena",
        "family_name": "Holm",
        "date_of_birth": "1970-05-06",
        "sex": "female",
        "email": "",
        "phone": "",
        "preferred_language": "en",
        "consent_registry": "on",
        "consent_registry_date": "2025-01-10",
    }
    url = reverse("registry:patient_create") + f"?site={personas.north.pk}"
    assert client.post(url, {**form, "site": personas.north.pk}).status_code == 302
    from fusiontrack.registry.models import Patient

    patient = Patient.objects.get(mrn="N-3003")
    edit = reverse("registry:patient_edit", args=[patient.pk])
    for change in ({"family_name": "Holm-Berg"}, {"phone": "+46 8 123 45", "sex": "other"}):
        patient.refresh_from_db()
        form.update(change)
        assert client.post(edit, {**form, "version": patient.version}).status_code == 302
    patient.refresh_from_db()
    current = audit.snapshot(patient)
    current.pop("version")
    rebuilt = audit.replay("patient", str(patient.pk))
    # A create entry lists every field that was not empty; the others were None.
    assert {name: rebuilt.get(name) for name in current} == current
    updates = AuditEvent.objects.filter(object_type="patient", action="update").order_by("sequence")
    assert [e.changes.get("family_name") for e in updates] == [["Holm", "Holm-Berg"], None]
    assert updates[1].changes["sex"] == ["female", "other"]


def test_the_audit_trail_exports_to_csv_and_the_export_is_audited(anna, tmp_path):
    """Checklist B7: the audit log exports to CSV and is human-readable."""
    import csv

    out = tmp_path / "audit.csv"
    done = CliRunner().invoke(
        audit_group, ["export", "-o", str(out), "--patient", str(anna.patient.pk)]
    )
    assert done.exit_code == 0, done.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["action"] for r in rows} >= {"create", "update"}
    assert rows[0]["at"].startswith("20") and "+00:00" in rows[0]["at"]
    event = AuditEvent.objects.get(action="export", object_type="audit_trail")
    assert event.detail["rows"] == len(rows) and event.patient_id_ref == anna.patient.pk
