"""``fusiontrack demo``: migrate, load the synthetic cohort, create the demo logins, serve.

The cohort comes from ``fusiontrack.synthetic`` (deterministic, every distribution cited) and is
written in chunks of column lists (COPY on PostgreSQL, executemany on SQLite: ``bulk_create``
without the per-row model instances, which made 100,000 patients take 6–9 minutes), scored
through the core (``score_batch``: the same numbers ``score`` gives one response at a time),
with the denormalised copies the registry expects (Score rows, FollowUp rows, Episode.site).
Loading is idempotent: when the demo sites exist the cohort is not loaded again. The demo
logins share one public password, so they are created only outside production, and production
refuses them anyway (``registry.checks``, ``registry.auth``). Serving is gunicorn, with
whitenoise for static files.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from fusiontrack.synthetic import DEFAULT_SEED, Cohort, generate_cohort

#: Rows per chunk: one COPY (PostgreSQL) or executemany (SQLite) each, bounded memory.
CHUNK_ROWS = 20_000
DEFAULT_PORT = 8000
#: Which synthetic surgeon becomes the demo login ``surgeon`` (the first one, at the first site).
DEMO_SURGEON_ID = 1


class DemoRefused(RuntimeError):
    """The demo cannot run here (production settings): the message says why."""


@dataclass
class LoadReport:
    """What a load did and how long each part took (seconds)."""

    skipped: bool
    patients: int = 0
    responses: int = 0
    scores: int = 0
    rows: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


# --- entry point -------------------------------------------------------------------------------


def run_demo(
    *,
    serve: bool = True,
    patients: int = 400,
    seed: int = DEFAULT_SEED,
    host: str = "127.0.0.1",
    port: int | None = None,
    as_of: dt.date | None = None,
) -> None:
    """Migrate, load the demo cohort (once), create the demo logins, collect static files and,
    unless ``serve`` is False, serve on ``host:port`` (``$PORT`` or 8000) with gunicorn.

    ``as_of`` is the cohort's "today" (default: the local date now, so follow-ups fall due
    around the day the demo is shown).
    """
    os.environ.setdefault("FUSIONTRACK_ENV", "demo")
    from fusiontrack import djangoenv

    djangoenv.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    _refuse_production(settings)
    echo = _echo()
    echo("fusiontrack demo: migrating the database…")
    call_command("migrate", interactive=False, verbosity=0)
    day = as_of or timezone.localdate()
    echo(f"Loading {patients:,} synthetic patients (seed {seed}, as of {day.isoformat()})…")
    report = load_demo(patients=patients, seed=seed, as_of=day)
    if report.skipped:
        echo("The demo cohort is already loaded; nothing to add (delete the database to reload).")
    else:
        echo(
            f"Loaded {report.patients:,} patients, {report.responses:,} questionnaire responses "
            f"and {report.rows:,} rows in {report.seconds:.1f} s."
        )
        # A few measured synthetic radiographs, so the imaging pages have something to show.
        call_command("imaging_demo", as_of=day, verbosity=0)
    ensure_demo_logins()
    call_command("collectstatic", interactive=False, verbosity=0)
    bind_port = resolve_port(port)
    # Invitation links printed or e-mailed by the demo point at the port it serves on.
    os.environ.setdefault("FUSIONTRACK_BASE_URL", f"http://{host}:{bind_port}")
    echo(banner(host, bind_port, settings.DATABASES["default"]))
    if serve:
        argv = gunicorn_argv(host, bind_port)
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606  (replaces this process with gunicorn)


def _echo() -> Callable[[str], None]:
    import click

    return click.echo


def _refuse_production(settings: Any) -> None:
    if settings.FUSIONTRACK_ENV == "production":
        raise DemoRefused(
            "The demo loads synthetic patients and creates logins with a public password; it "
            "refuses to run with FUSIONTRACK_ENV=production. Use a separate database and "
            "FUSIONTRACK_ENV=demo."
        )


def resolve_port(port: int | None) -> int:
    """The explicit port, else ``$PORT``, else 8000 (a clear error for a bad ``$PORT``)."""
    if port is not None:
        return port
    raw = os.environ.get("PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise DemoRefused(f"PORT={raw!r} is not a port number (1–65535).")
    return int(raw)


def gunicorn_argv(host: str, port: int) -> list[str]:
    """The gunicorn command line: threaded workers sized to the machine, logs to the console."""
    workers = max(2, min(4, os.cpu_count() or 2))
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "fusiontrack.wsgi:application",
        "--config",
        "python:fusiontrack.gunicorn_conf",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--worker-class",
        "gthread",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]


def banner(host: str, port: int, database: dict[str, Any]) -> str:
    from fusiontrack.registry.accounts import DEMO_PASSWORD, DEMO_USERNAMES

    shown = "localhost" if host in {"127.0.0.1", "0.0.0.0"} else host  # noqa: S104
    roles = {
        "admin": "administrator, both sites, Django admin",
        "surgeon": "surgeon at the first site",
        "coordinator": "research coordinator at the first site",
        "researcher": "researcher, both sites (no identifiable data)",
    }
    lines = [
        "",
        f"  fusiontrack demo (SYNTHETIC data, not real patients): http://{shown}:{port}/",
        f"  database: {database.get('ENGINE', '').rsplit('.', 1)[-1]} {database.get('NAME', '')}",
        f"  logins (password {DEMO_PASSWORD}):",
        *(f"    {name:<12} {roles.get(name, '')}" for name in DEMO_USERNAMES),
        "  Stop with Ctrl-C.",
        "",
    ]
    return "\n".join(lines)


# --- demo logins -------------------------------------------------------------------------------


def ensure_demo_logins() -> list[Any]:
    """Create (or repair) the four demo logins with the public demo password and their roles.

    Refused in production: the same password is printed in the README.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from fusiontrack.registry.accounts import DEMO_PASSWORD
    from fusiontrack.registry.models import Membership, Site

    _refuse_production(settings)
    user_model = get_user_model()
    sites = list(Site.objects.order_by("pk"))
    first = sites[:1]
    plan: dict[str, tuple[str, list[Any], bool]] = {
        "admin": ("admin", sites, True),
        "surgeon": ("surgeon", first, False),
        "coordinator": ("coordinator", first, False),
        "researcher": ("researcher", sites, False),
    }
    users = []
    for username, (role, at, superuser) in plan.items():
        user, _ = user_model.objects.get_or_create(username=username)
        user.is_active = True
        user.is_staff = superuser
        user.is_superuser = superuser
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        for site in at:
            Membership.objects.update_or_create(user=user, site=site, defaults={"role": role})
        users.append(user)
    return users


# --- loading -----------------------------------------------------------------------------------


def load_demo(*, patients: int = 400, seed: int = DEFAULT_SEED, as_of: dt.date) -> LoadReport:
    """Generate and load the cohort unless its sites already exist (idempotent)."""
    from fusiontrack.registry.models import Site
    from fusiontrack.synthetic.people import make_sites

    codes = list(make_sites(2)["code"])
    if Site.objects.filter(code__in=codes).exists():
        return LoadReport(skipped=True)
    started = time.perf_counter()
    cohort = generate_cohort(patients, seed=seed, as_of=as_of)
    generated = time.perf_counter() - started
    report = load_cohort(cohort, refresh=False)
    del cohort  # the registry has it now; free it before the reference pass reads it back
    gc.collect()
    _timed(report, "reference trajectories", _refresh_reference)
    report.timings = {"generate": generated, **report.timings}
    report.seconds = time.perf_counter() - started
    return report


def load_cohort(cohort: Cohort, *, refresh: bool = True) -> LoadReport:
    """Write every table of ``cohort`` into the registry in one transaction.

    Primary keys are the cohort's ids shifted past the current maximum of each table, so
    foreign keys map with arithmetic and nothing already in the database is touched.
    """
    from django.db import transaction

    report = LoadReport(skipped=False, patients=len(cohort.patients))
    started = time.perf_counter()
    from fusiontrack.insight.changes import mark_everything

    with transaction.atomic():
        _Loader(cohort, report).run()
        mark_everything()  # bulk rows send no signals: every cohort snapshot reloads
    _reset_sequences()
    if refresh:
        _timed(report, "reference trajectories", _refresh_reference)
    report.seconds = time.perf_counter() - started
    return report


def _refresh_reference() -> None:
    from fusiontrack.registry.services import refresh_reference_trajectories

    refresh_reference_trajectories()


def _timed(report: LoadReport, name: str, fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = fn()
    report.timings[name] = report.timings.get(name, 0.0) + time.perf_counter() - started
    return result


def _reset_sequences() -> None:
    """PostgreSQL sequences must move past the explicit keys (no-op on SQLite)."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    models = [*apps.get_app_config("registry").get_models(), apps.get_model("auth", "User")]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _dates(series: pd.Series) -> list[dt.date | None]:
    values = series.to_numpy(dtype="datetime64[D]")
    out: list[dt.date | None] = values.astype(object).tolist()
    return [None if v is None or isinstance(v, int) else v for v in out]


def _decimals(series: pd.Series) -> list[Decimal | None]:
    return [None if v != v else Decimal(f"{v:.1f}") for v in series.to_numpy(dtype=float)]


def _ints(series: pd.Series) -> list[int | None]:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return [None if v != v else int(v) for v in values]


def _chunks(n: int, size: int = CHUNK_ROWS) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


class _Loader:
    """Maps cohort tables to registry models, one bulk insert per chunk."""

    def __init__(self, cohort: Cohort, report: LoadReport) -> None:
        self.c = cohort
        self.report = report
        self.offset: dict[str, int] = {}

    def run(self) -> None:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("sites and staff", self.sites_and_staff),
            ("patients", self.patients),
            ("episodes", self.episodes),
            ("journey records", self.journey),
            ("operations and outcomes", self.operations),
            ("follow-ups", self.follow_ups),
            ("responses and scores", self.responses),
        ]
        for name, step in steps:
            _timed(self.report, name, step)

    # -- helpers --

    def _base(self, model: Any) -> int:
        from django.db.models import Max

        key = model._meta.label
        if key not in self.offset:
            self.offset[key] = model.objects.aggregate(m=Max("pk"))["m"] or 0
        return self.offset[key]

    def _insert(self, model: Any, columns: dict[str, list[Any]]) -> int:
        written = write_rows(model, columns)
        self.report.rows += written
        return written

    def _pk(self, model: Any, ids: Iterable[Any]) -> list[int]:
        shifted = np.asarray(ids, dtype=np.int64) + self._base(model)
        return [int(v) for v in shifted]

    def _frame_records(
        self, model: Any, frame: pd.DataFrame, build: Callable[[pd.DataFrame], dict[str, list[Any]]]
    ) -> None:
        """Build column lists for each chunk of ``frame`` and insert them."""
        for part in _chunks(len(frame)):
            self._insert(model, build(frame.iloc[part]))

    # -- tables --

    def sites_and_staff(self) -> None:
        from django.contrib.auth import get_user_model

        from fusiontrack.registry.models import Membership, Site

        user_model = get_user_model()
        self.site_pk: dict[int, int] = {}
        for site_id, code, name in self.c.sites[["site_id", "code", "name"]].to_numpy().tolist():
            self.site_pk[int(site_id)] = Site.objects.create(code=code, name=name).pk
        self.surgeon_pk: dict[int, int] = {}
        columns = ["surgeon_id", "site_id", "username", "given_name", "family_name"]
        for surgeon_id, site_id, username, given, family in (
            self.c.surgeons[columns].to_numpy().tolist()
        ):
            demo = int(surgeon_id) == DEMO_SURGEON_ID
            user, _ = user_model.objects.get_or_create(
                username="surgeon" if demo else username,
                defaults={"first_name": given, "last_name": family},
            )
            if not demo:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            Membership.objects.update_or_create(
                user=user, site_id=self.site_pk[int(site_id)], defaults={"role": "surgeon"}
            )
            self.surgeon_pk[int(surgeon_id)] = user.pk

    def _site(self, ids: pd.Series) -> list[int]:
        return [self.site_pk[i] for i in ids.astype(int).tolist()]

    def _surgeon(self, ids: pd.Series) -> list[int]:
        return [self.surgeon_pk[i] for i in ids.astype(int).tolist()]

    def patients(self) -> None:
        from fusiontrack.registry.models import Patient

        self._frame_records(
            Patient,
            self.c.patients,
            lambda f: {
                "pk": self._pk(Patient, f["patient_id"]),
                "site_id": self._site(f["site_id"]),
                "mrn": f["mrn"].tolist(),
                "given_name": f["given_name"].tolist(),
                "family_name": f["family_name"].tolist(),
                "date_of_birth": _dates(f["date_of_birth"]),
                "sex": f["sex"].tolist(),
                "email": f["email"].tolist(),
                "phone": f["phone"].tolist(),
                "preferred_language": f["preferred_language"].tolist(),
                "consent_registry": f["consent_registry"].tolist(),
                "consent_registry_date": _dates(f["consent_registry_date"]),
                "consent_research": f["consent_research"].tolist(),
                "consent_research_date": _dates(f["consent_research_date"]),
            },
        )

    def _episode(self, ids: pd.Series) -> list[int]:
        from fusiontrack.registry.models import Episode

        return self._pk(Episode, ids)

    def episodes(self) -> None:
        from fusiontrack.registry.models import Episode, Patient, StageEvent

        self._frame_records(
            Episode,
            self.c.episodes,
            lambda f: {
                "pk": self._pk(Episode, f["episode_id"]),
                "patient_id": self._pk(Patient, f["patient_id"]),
                "site_id": self._site(f["site_id"]),
                "title": f["title"].tolist(),
                "stage": f["stage"].tolist(),
                "stage_entered_on": _dates(f["stage_entered_on"]),
                "opened_on": _dates(f["opened_on"]),
                "surgery_date": _dates(f["surgery_date"]),
                "planned_surgery_date": _dates(f["planned_surgery_date"]),
                "surgeon_id": self._surgeon(f["surgeon_id"]),
                "withdrawn_reason": f["withdrawn_reason"].tolist(),
            },
        )
        self._frame_records(
            StageEvent,
            self.c.stage_events,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "stage": f["stage"].tolist(),
                "entered_on": _dates(f["entered_on"]),
                "note": f["note"].tolist(),
            },
        )

    def journey(self) -> None:
        from fusiontrack.registry import models as m

        c = self.c
        self._frame_records(
            m.Diagnosis,
            c.diagnoses,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "diagnosis": f["diagnosis"].tolist(),
                "is_primary": f["is_primary"].tolist(),
                "meyerding_grade": f["meyerding_grade"].tolist(),
                "levels": f["levels"].tolist(),
                "diagnosed_on": _dates(f["diagnosed_on"]),
                "symptom_duration_months": _ints(f["symptom_duration_months"]),
                "pain_dominance": f["pain_dominance"].tolist(),
            },
        )
        self._frame_records(
            m.ImagingStudy,
            c.imaging,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "modality": f["modality"].tolist(),
                "study_date": _dates(f["study_date"]),
                "findings": f["findings"].tolist(),
            },
        )
        self._frame_records(
            m.ConservativeTreatment,
            c.conservative_care,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "treatment": f["treatment"].tolist(),
                "start_date": _dates(f["start_date"]),
                "end_date": _dates(f["end_date"]),
                "response": f["response"].tolist(),
            },
        )
        self._frame_records(
            m.SurgicalDecision,
            c.decisions,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "decision_date": _dates(f["decision_date"]),
                "indication": f["indication"].tolist(),
                "conservative_care_weeks": _ints(f["conservative_care_weeks"]),
                "imaging_concordant": f["imaging_concordant"].tolist(),
                "shared_decision_documented": f["shared_decision_documented"].tolist(),
                "decided_by_id": self._surgeon(f["decided_by_surgeon_id"]),
            },
        )
        self._frame_records(
            m.PreoperativeAssessment,
            c.preop,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "assessment_date": _dates(f["assessment_date"]),
                "asa_class": f["asa_class"].tolist(),
                "height_cm": _decimals(f["height_cm"]),
                "weight_kg": _decimals(f["weight_kg"]),
                "bmi": _decimals(f["bmi"]),
                "smoking": f["smoking"].tolist(),
                "diabetes": f["diabetes"].tolist(),
                "hba1c_percent": _decimals(f["hba1c_percent"]),
                "bone_density_t_score": _decimals(f["bone_density_t_score"]),
                "anticoagulant": f["anticoagulant"].tolist(),
                "antiplatelet": f["antiplatelet"].tolist(),
                "labs": f["labs"].tolist(),
                "cleared": f["cleared"].tolist(),
                "cleared_on": _dates(f["cleared_on"]),
            },
        )

    def operations(self) -> None:
        from fusiontrack.registry import models as m

        c = self.c
        self._frame_records(
            m.Operation,
            c.operations,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "operation_date": _dates(f["operation_date"]),
                "surgeon_id": self._surgeon(f["surgeon_id"]),
                "levels": f["levels"].tolist(),
                "approach": f["approach"].tolist(),
                "technique": f["technique"].tolist(),
                "decompression": f["decompression"].tolist(),
                "grafts": [list(g) for g in f["grafts"]],
                "pedicle_screws": f["pedicle_screws"].tolist(),
                "rods": f["rods"].tolist(),
                "interbody_cage": f["interbody_cage"].tolist(),
                "cage_material": f["cage_material"].tolist(),
                "navigation": f["navigation"].tolist(),
                "robot": f["robot"].tolist(),
                "duration_minutes": _ints(f["duration_minutes"]),
                "blood_loss_ml": _ints(f["blood_loss_ml"]),
                "intraoperative_complications": f["intraoperative_complications"].tolist(),
            },
        )
        self._frame_records(
            m.HospitalStay,
            c.stays,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "admission_date": _dates(f["admission_date"]),
                "discharge_date": _dates(f["discharge_date"]),
                "length_of_stay_days": _ints(f["length_of_stay_days"]),
                "destination": f["destination"].tolist(),
            },
        )
        self._frame_records(
            m.Complication,
            c.complications,
            lambda f: {
                "pk": self._pk(m.Complication, f["complication_id"]),
                "episode_id": self._episode(f["episode_id"]),
                "occurred_on": _dates(f["occurred_on"]),
                "category": f["category"].tolist(),
                "clavien_dindo": f["clavien_dindo"].tolist(),
                "reported_by": f["reported_by"].tolist(),
                "intraoperative": f["intraoperative"].tolist(),
                "resolved": f["resolved"].tolist(),
                "resolved_on": _dates(f["resolved_on"]),
                "description": f["description"].tolist(),
            },
        )
        self._frame_records(
            m.Reoperation,
            c.reoperations,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "reoperation_date": _dates(f["reoperation_date"]),
                "reason": f["reason"].tolist(),
                "levels": f["levels"].tolist(),
            },
        )
        self._frame_records(
            m.FusionAssessment,
            c.fusion_assessments,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "assessment_date": _dates(f["assessment_date"]),
                "modality": f["modality"].tolist(),
                "bridwell_grade": f["bridwell_grade"].tolist(),
                "segmental_motion_degrees": _decimals(f["segmental_motion_degrees"]),
                "judgement": f["judgement"].tolist(),
            },
        )
        self._frame_records(
            m.ReturnToWork,
            c.return_to_work,
            lambda f: {
                "episode_id": self._episode(f["episode_id"]),
                "recorded_on": _dates(f["recorded_on"]),
                "work_status": f["work_status"].tolist(),
                "returned_on": _dates(f["returned_on"]),
            },
        )

    def follow_ups(self) -> None:
        from fusiontrack.registry.models import Episode, FollowUp, Patient

        visits = self.c.visits
        episode_site = self.c.episodes.set_index("episode_id")["site_id"]
        stored = visits["status"].where(visits["status"].isin(["completed", "missed"]), "pending")
        self._frame_records(
            FollowUp,
            visits.assign(_stored=stored),
            lambda f: {
                "pk": self._pk(FollowUp, f["visit_id"]),
                "episode_id": self._pk(Episode, f["episode_id"]),
                "patient_id": self._pk(Patient, f["episode_id"]),
                "site_id": self._site(f["episode_id"].map(episode_site)),
                "timepoint": f["timepoint"].tolist(),
                "due_on": _dates(f["due_on"]),
                "window_opens_on": _dates(f["window_opens_on"]),
                "window_closes_on": _dates(f["window_closes_on"]),
                "status": f["_stored"].tolist(),
                "completed_on": _dates(f["responded_on"]),
            },
        )

    def responses(self) -> None:
        from fusiontrack.core.instruments import get_instrument, score_batch
        from fusiontrack.registry.models import (
            Episode,
            FollowUp,
            Patient,
            QuestionnaireResponse,
            Score,
        )

        responses = self.c.responses.set_index("response_id")
        episode_site = self.c.episodes.set_index("episode_id")["site_id"]
        for instrument_id, answers in self.c.answers.items():
            instrument = get_instrument(instrument_id)
            kinds = {d.id: d.type for d in instrument.scores}
            for part in _chunks(len(answers)):
                chunk = answers.iloc[part]
                scores = score_batch(instrument_id, chunk)
                meta = responses.loc[chunk.index]
                score_dicts = _score_dicts(scores, kinds)
                pks = self._pk(QuestionnaireResponse, chunk.index)
                patient = self._pk(Patient, meta["patient_id"])
                episode = self._pk(Episode, meta["episode_id"])
                site = self._site(meta["episode_id"].map(episode_site))
                follow_up = self._pk(FollowUp, meta["visit_id"])
                timepoint = meta["timepoint"].tolist()
                responded = _dates(meta["responded_on"])
                errors = scores["errors"].tolist()
                n = len(pks)
                self.report.responses += self._insert(
                    QuestionnaireResponse,
                    {
                        "pk": pks,
                        "patient_id": patient,
                        "episode_id": episode,
                        "site_id": site,
                        "follow_up_id": follow_up,
                        "instrument_id": [instrument_id] * n,
                        "instrument_version": [str(instrument.version)] * n,
                        "timepoint": timepoint,
                        "responded_on": responded,
                        "answers": _answer_dicts(chunk),
                        "scores": score_dicts,
                        "complete": [not e for e in errors],
                        "incomplete_reason": [e[:300] for e in errors],
                        "entry_mode": meta["entry_mode"].tolist(),
                    },
                )
                numeric = [k for k, kind in kinds.items() if kind in {"number", "integer", "flag"}]
                rows = [
                    (i, measure, float(score_dicts[i][measure]))
                    for i in range(n)
                    for measure in numeric
                    if score_dicts[i].get(measure) is not None
                ]
                self.report.scores += self._insert(
                    Score,
                    {
                        "response_id": [pks[i] for i, _, _ in rows],
                        "patient_id": [patient[i] for i, _, _ in rows],
                        "episode_id": [episode[i] for i, _, _ in rows],
                        "site_id": [site[i] for i, _, _ in rows],
                        "instrument_id": [instrument_id] * len(rows),
                        "timepoint": [timepoint[i] for i, _, _ in rows],
                        "measure": [m for _, m, _ in rows],
                        "value": [v for _, _, v in rows],
                        "responded_on": [responded[i] for i, _, _ in rows],
                    },
                )


def write_rows(model: Any, columns: Mapping[str, list[Any]]) -> int:
    """Insert rows given as equal-length column lists, without building model instances.

    PostgreSQL gets one COPY per call, other databases one ``executemany``; both are several
    times faster than ``bulk_create`` for millions of rows. Fields not given are filled the way
    ``bulk_create`` would: ``auto_now``/``auto_now_add`` with the current time, else the field's
    default, else NULL; the primary key is left to the database unless ``pk`` is given.
    """
    from django.db import connection
    from django.utils import timezone

    n = len(next(iter(columns.values()), []))
    if n == 0:
        return 0
    postgres = connection.vendor == "postgresql"
    now = timezone.now()
    names: list[str] = []
    data: list[list[Any]] = []
    for model_field in model._meta.concrete_fields:
        given = columns.get("pk") if model_field.primary_key else None
        if given is None:
            given = columns.get(model_field.attname, columns.get(model_field.name))
        if given is None:
            if model_field.primary_key:
                continue
            if getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                constant: Any = now
            else:  # the declared default; "" for text fields, as bulk_create does
                constant = model_field.get_default()
                if constant is None and not model_field.null:
                    raise ValueError(f"{model.__name__}.{model_field.name} needs a value")
            given = [constant] * n
        names.append(model_field.column)
        data.append(_db_values(model_field, given, postgres, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    with connection.cursor() as cursor:
        if postgres:
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in zip(*data, strict=True):
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f"INSERT INTO {table} ({quoted}) VALUES ({marks})",  # noqa: S608 (names from _meta)
                list(zip(*data, strict=True)),
            )
    return n


def _db_values(field: Any, values: list[Any], postgres: bool, connection: Any) -> list[Any]:
    """Python values as the driver expects them for this field (JSON text, date strings on
    SQLite), converted per column rather than per value where possible."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return [None if v is None else json.dumps(v) for v in values]
    if postgres:
        return values
    if kind == "DateTimeField":
        return [None if v is None else connection.ops.adapt_datetimefield_value(v) for v in values]
    if kind == "DateField":
        return [None if v is None else v.isoformat() for v in values]
    if kind == "DecimalField":
        return [None if v is None else str(v) for v in values]
    return values


def _answer_dicts(frame: pd.DataFrame) -> list[dict[str, int | float]]:
    """Answers as a form would store them: whole numbers as int, blanks left out."""
    names = list(frame.columns)
    out = []
    for row in frame.to_numpy(dtype=float).tolist():
        out.append(
            {
                name: (int(v) if v.is_integer() else v)
                for name, v in zip(names, row, strict=True)
                if v == v
            }
        )
    return out


def _score_dicts(scores: pd.DataFrame, kinds: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per row, the scores as ``services.save_response`` stores them (absent when not scored)."""
    columns: dict[str, list[Any]] = {}
    for name, kind in kinds.items():
        column = scores[name]
        if kind == "number":
            columns[name] = [None if v != v else v for v in column.to_numpy(dtype=float).tolist()]
        elif kind in {"integer", "flag"}:  # the core's ScoreDef.convert gives int for both
            columns[name] = _ints(column)
        else:
            columns[name] = [None if pd.isna(v) else str(v) for v in column.tolist()]
    names = list(columns)
    return [
        {name: value for name, value in zip(names, row, strict=True) if value is not None}
        for row in zip(*(columns[n] for n in names), strict=True)
    ]
