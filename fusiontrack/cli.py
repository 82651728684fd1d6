"""The `fusiontrack` command line: a thin layer over the core and the Django app.

Every command reports bad input as a one-line usage error (exit code 2) or a clear failure
message (exit code 1); no command shows a traceback for a user's mistake.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from fusiontrack import __version__

#: Rows per chunk when scoring a CSV: big enough to stay vectorised, small enough for a
#: progress bar that moves and bounded memory on multi-million-row files.
SCORE_CHUNK_ROWS = 200_000


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fusiontrack")
def main() -> None:
    """fusiontrack: lumbar fusion outcomes, from evaluation to two years after surgery."""


# --- instruments -------------------------------------------------------------------------------


@main.command("instruments")
def instruments_command() -> None:
    """List the questionnaires fusiontrack scores, with version and licence."""
    from fusiontrack.core.instruments import INSTRUMENTS

    rows = [
        (inst.id, inst.version, inst.title, _first_sentence(inst.licence))
        for inst in INSTRUMENTS.values()
    ]
    widths = [
        max(len(str(r[i])) for r in [*rows, ("id", "version", "title", "")]) for i in range(3)
    ]
    click.echo(f"{'id':<{widths[0]}}  {'version':<{widths[1]}}  {'title':<{widths[2]}}  licence")
    for row in rows:
        click.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end == -1 else text[: end + 1]


# --- score -------------------------------------------------------------------------------------


def _read_csv_chunks(path: Path, chunksize: int) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(
            path, chunksize=chunksize, dtype=str, keep_default_na=False, na_values=[""]
        )
    except FileNotFoundError:
        _fail(f"{path}: no such file")
    except (pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        _fail(f"{path}: not a readable CSV file ({exc})")


def _count_data_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(buf.count(b"\n") for buf in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)


def score_frame(frame: Any, value_set: str, odi_max_missing: int) -> Any:
    """Score one DataFrame of raw answers (strings) with every instrument whose columns it has."""
    from fusiontrack.core.scoring import score_table

    return score_table(frame, value_set=value_set, odi_max_missing=odi_max_missing)


@main.command("score")
@click.argument("input_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "output_csv",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the scored CSV (input columns plus scores and `errors`).",
)
@click.option(
    "--value-set",
    default="england",
    show_default=True,
    help="EQ-5D-5L value set (e.g. england, usa, germany); see `fusiontrack value-sets`.",
)
@click.option(
    "--odi-max-missing",
    default=1,
    show_default=True,
    type=click.IntRange(0, 9),
    help="ODI sections that may be missing before no score is given.",
)
@click.option("--strict", is_flag=True, help="Exit non-zero if any row has an error.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def score_command(
    input_csv: Path,
    output_csv: Path,
    value_set: str,
    odi_max_missing: int,
    strict: bool,
    quiet: bool,
) -> None:
    """Score every row of INPUT_CSV.

    Columns (any subset): odi_1…odi_10 (0–5, blank = missing), nrs_back, nrs_leg (0–10),
    eq5d_mo, eq5d_sc, eq5d_ua, eq5d_pd, eq5d_ad (1–5), eq5d_vas (0–100), comi_*, promis29_*.
    """
    from fusiontrack.core.errors import FusiontrackError

    if not input_csv.exists():
        raise click.BadParameter(f"{input_csv}: no such file", param_hint="INPUT_CSV")
    _check_value_set(value_set)
    total = _count_data_lines(input_csv)
    rows = bad = 0
    first = True
    show_bar = not quiet and total >= SCORE_CHUNK_ROWS
    tmp = output_csv.with_name(output_csv.name + ".partial")
    try:
        with click.progressbar(
            length=total, label="Scoring", file=sys.stderr, hidden=not show_bar
        ) as bar:
            for chunk in _read_csv_chunks(input_csv, SCORE_CHUNK_ROWS):
                scored = score_frame(chunk, value_set, odi_max_missing)
                scored.to_csv(tmp, mode="w" if first else "a", header=first, index=False)
                first = False
                rows += len(scored)
                bad += int((scored["errors"] != "").sum())
                bar.update(len(scored))
    except FusiontrackError as exc:
        tmp.unlink(missing_ok=True)
        _fail(str(exc))
    except Exception as exc:  # pandas parser errors: report the file, never a traceback
        tmp.unlink(missing_ok=True)
        if exc.__class__.__module__.startswith("pandas"):
            _fail(f"{input_csv}: could not read CSV ({exc})")
        raise
    if first:  # header-only file: still write the header so scripts get a valid CSV
        import pandas as pd

        score_frame(pd.read_csv(input_csv, dtype=str), value_set, odi_max_missing).to_csv(
            tmp, index=False
        )
    tmp.replace(output_csv)
    if not quiet:
        click.echo(f"Scored {rows} rows into {output_csv}; {bad} with errors.", err=True)
    if strict and bad:
        raise click.exceptions.Exit(1)


def _check_value_set(value_set: str) -> None:
    from fusiontrack.core import eq5d

    if value_set.lower() not in eq5d.VALUE_SETS_5L and value_set.lower() not in eq5d.NAMED_5L:
        raise click.BadParameter(
            f"unknown EQ-5D-5L value set {value_set!r}; run `fusiontrack value-sets` for the list",
            param_hint="--value-set",
        )


@main.command("value-sets")
def value_sets_command() -> None:
    """List the EQ-5D-5L value sets available for --value-set, with their sources."""
    from fusiontrack.core import eq5d

    for vs in eq5d.VALUE_SETS_5L:
        info = eq5d.value_set_info(vs)
        click.echo(f"{vs:<16} {info.citation}")


# --- compare -----------------------------------------------------------------------------------


@main.command("compare")
@click.argument("baseline_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("followup_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", required=True, help="Column identifying the patient in both files.")
@click.option(
    "-o",
    "--output",
    "output_csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the per-patient classification to this CSV.",
)
@click.option(
    "--threshold-set",
    default="default",
    show_default=True,
    help="Which published thresholds to apply (see `fusiontrack thresholds`).",
)
@click.option("--value-set", default="england", show_default=True, help="EQ-5D-5L value set.")
@click.option("--limit", default=20, show_default=True, help="Patients to print (0 = all).")
def compare_command(
    baseline_csv: Path,
    followup_csv: Path,
    key: str,
    output_csv: Path | None,
    threshold_set: str,
    value_set: str,
    limit: int,
) -> None:
    """Classify change before vs after per patient and summarise % reaching MCID per measure."""
    from fusiontrack.core.errors import FusiontrackError
    from fusiontrack.core.outcomes import THRESHOLD_SETS
    from fusiontrack.reporting.compare import compare_frames, format_summary, format_table

    if threshold_set not in THRESHOLD_SETS:
        raise click.BadParameter(
            f"unknown threshold set {threshold_set!r}; choose from {', '.join(THRESHOLD_SETS)}",
            param_hint="--threshold-set",
        )
    _check_value_set(value_set)
    frames = []
    for path in (baseline_csv, followup_csv):
        if not path.exists():
            raise click.BadParameter(f"{path}: no such file")
        frame = next(iter(_read_csv_chunks(path, 10**9)))
        if key not in frame.columns:
            _fail(f"{path}: no column {key!r} (columns: {', '.join(frame.columns)})")
        frames.append(score_frame(frame, value_set, 1))
    try:
        result = compare_frames(frames[0], frames[1], key=key, threshold_set=threshold_set)
    except FusiontrackError as exc:
        _fail(str(exc))
    if result.per_patient.empty:
        _fail(f"no patient appears in both files with a score on any measure (key {key!r})")
    click.echo(format_table(result.per_patient, limit=limit))
    click.echo()
    click.echo(format_summary(result.summary))
    if output_csv is not None:
        result.per_patient.to_csv(output_csv, index=False)
        click.echo(f"\nWrote {len(result.per_patient)} rows to {output_csv}", err=True)


@main.command("thresholds")
def thresholds_command() -> None:
    """List the threshold sets (MCID, SCB, PASS) with their sources."""
    from fusiontrack.core.outcomes import DEFAULT_THRESHOLD_SET, THRESHOLD_SETS

    for name, tset in THRESHOLD_SETS.items():
        marker = " (default)" if name == DEFAULT_THRESHOLD_SET else ""
        click.echo(f"{name}{marker}")
        for threshold in tset.thresholds:
            click.echo(f"    {threshold.summary()}")


# --- demo --------------------------------------------------------------------------------------


@main.command("demo")
@click.option("--no-serve", is_flag=True, help="Load the demo cohort without starting the server.")
@click.option("--patients", default=400, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port to serve on (default: $PORT or 8000).",
)
def demo_command(no_serve: bool, patients: int, port: int | None) -> None:
    """Migrate, load the synthetic demo cohort and serve the app (demo logins are printed)."""
    from fusiontrack.demo import DemoRefused, run_demo

    try:
        run_demo(serve=not no_serve, patients=patients, port=port)
    except DemoRefused as exc:
        _fail(str(exc))


# --- commands contributed by the apps ------------------------------------------------------------

#: Modules that contribute commands: each defines `COMMANDS`, a list of click commands, and
#: imports Django lazily inside the commands so `fusiontrack score` stays fast.
COMMAND_MODULES = (
    "fusiontrack.registry.cli",
    "fusiontrack.portal.cli",
    "fusiontrack.imaging.cli",
    "fusiontrack.interop.cli",
    "fusiontrack.security.cli",
    "fusiontrack.insight.cli",
)


def _register_app_commands() -> None:
    import importlib
    import importlib.util

    for name in COMMAND_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except ModuleNotFoundError:  # the app itself does not exist (yet)
            continue
        for command in importlib.import_module(name).COMMANDS:
            main.add_command(command)


_register_app_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
