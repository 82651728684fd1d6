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


def _read_csv_chunks(path: Path, chunksize: int, encoding: str = "utf-8") -> Any:
    """Chunks of the CSV as text; every way a file can be unreadable becomes a one-line error."""
    import pandas as pd

    _check_header(path, encoding)
    try:
        reader = pd.read_csv(
            path,
            chunksize=chunksize,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
        )
        with reader:
            yield from reader
    except FileNotFoundError:
        _fail(f"{path}: no such file")
    except PermissionError:
        _fail(f"{path}: permission denied")
    except IsADirectoryError:
        _fail(f"{path}: is a directory, not a CSV file")
    except pd.errors.EmptyDataError:
        _fail(f"{path}: the file is empty; a CSV needs at least a header line")
    except UnicodeDecodeError as exc:
        _fail(
            f"{path}: not {encoding} text ({exc.reason}); save it as UTF-8 CSV or name its "
            "encoding with --encoding (e.g. cp1252 for older Excel exports)"
        )
    except (pd.errors.ParserError, ValueError) as exc:
        _fail(f"{path}: could not read CSV ({' '.join(str(exc).split())})")


def _check_header(path: Path, encoding: str) -> None:
    """Refuse a header naming a column twice: pandas would rename the second copy silently."""
    import csv
    from collections import Counter

    try:
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            encoding = "utf-8-sig"
        with path.open(encoding=encoding, newline="") as handle:
            header = next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error, OSError):
        return  # the CSV reader reports these with the file name
    twice = [name for name, count in Counter(header).items() if count > 1 and name.strip()]
    if twice:
        _fail(
            f"{path}: column {', '.join(repr(n) for n in twice)} appears more than once in the "
            "header; keep one and run again"
        )


def _count_data_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(buf.count(b"\n") for buf in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)


def score_frame(frame: Any, value_set: str, odi_max_missing: int, **eq5d: Any) -> Any:
    """Score one DataFrame of raw answers (strings) with every instrument whose columns it has.

    `eq5d` passes the EQ-5D-3L value set and 5L → 3L mapping settings on to `score_table`.
    """
    from fusiontrack.core.scoring import score_table

    return score_table(frame, value_set=value_set, odi_max_missing=odi_max_missing, **eq5d)


#: --encoding for the commands that read CSV files; checked before any file is read.
encoding_option = click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    callback=lambda ctx, param, value: _check_encoding(value),
    help="Text encoding of the CSV files (e.g. cp1252 for older Excel exports).",
)


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
@click.option(
    "--value-set-3l",
    default="uk",
    show_default=True,
    help="EQ-5D-3L TTO value set for eq5d3l_mo…eq5d3l_ad columns; see `fusiontrack value-sets`.",
)
@click.option(
    "--eq5d-mapping",
    "eq5d_mappings",
    multiple=True,
    type=click.Choice(["crosswalk", "dsu"]),
    help="Also map the 5L answers to a 3L utility: crosswalk (van Hout 2012) adds "
    "eq5d3l_crosswalk_index; dsu (NICE DSU, Hernández Alava 2023) adds eq5d3l_dsu_index and "
    "needs age and sex columns. Repeat for both.",
)
@click.option(
    "--mapping-country",
    default="uk",
    show_default=True,
    help="Country of the 5L → 3L mapping (see `fusiontrack value-sets`).",
)
@click.option("--age-column", default="age", show_default=True, help="Age in years (DSU mapping).")
@click.option("--sex-column", default="sex", show_default=True, help="male/female (DSU mapping).")
@encoding_option
@click.option("--strict", is_flag=True, help="Exit non-zero if any row has an error.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def score_command(
    input_csv: Path,
    output_csv: Path,
    value_set: str,
    odi_max_missing: int,
    value_set_3l: str,
    eq5d_mappings: tuple[str, ...],
    mapping_country: str,
    age_column: str,
    sex_column: str,
    encoding: str,
    strict: bool,
    quiet: bool,
) -> None:
    """Score every row of INPUT_CSV.

    Columns (any subset): odi_1…odi_10 (0–5, blank = missing), nrs_back, nrs_leg (0–10),
    eq5d_mo, eq5d_sc, eq5d_ua, eq5d_pd, eq5d_ad (1–5), eq5d_vas (0–100), eq5d3l_mo …
    eq5d3l_ad (1–3), comi_*, promis29_*, global_outcome, nass_satisfaction, work_status.
    """
    from fusiontrack.core.errors import FusiontrackError

    if not input_csv.exists():
        raise click.BadParameter(f"{input_csv}: no such file", param_hint="INPUT_CSV")
    _check_value_set(value_set)
    _check_eq5d_settings(value_set_3l, eq5d_mappings, mapping_country)
    eq5d = {
        "value_set_3l": value_set_3l,
        "eq5d_mappings": eq5d_mappings,
        "mapping_country": mapping_country,
        "age_column": age_column,
        "sex_column": sex_column,
    }
    total = _count_data_lines(input_csv)
    rows = bad = 0
    first = True
    show_bar = not quiet and total >= SCORE_CHUNK_ROWS
    tmp = output_csv.with_name(output_csv.name + ".partial")
    try:
        with click.progressbar(
            length=total, label="Scoring", file=sys.stderr, hidden=not show_bar
        ) as bar:
            for chunk in _read_csv_chunks(input_csv, SCORE_CHUNK_ROWS, encoding):
                scored = score_frame(chunk, value_set, odi_max_missing, **eq5d)
                scored.to_csv(tmp, mode="w" if first else "a", header=first, index=False)
                first = False
                rows += len(scored)
                bad += int((scored["errors"] != "").sum())
                bar.update(len(scored))
        if first:  # header-only file: still write the header so scripts get a valid CSV
            import pandas as pd

            header = pd.read_csv(input_csv, dtype=str, encoding=encoding)
            score_frame(header, value_set, odi_max_missing, **eq5d).to_csv(tmp, index=False)
        tmp.replace(output_csv)
    except FusiontrackError as exc:
        tmp.unlink(missing_ok=True)
        _fail(str(exc))
    except OSError as exc:  # output directory missing, disk full, permission denied
        tmp.unlink(missing_ok=True)
        _fail(f"cannot write {output_csv}: {exc.strerror or exc}")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if not quiet:
        click.echo(f"Scored {rows} rows into {output_csv}; {bad} with errors.", err=True)
    if strict and bad:
        raise click.exceptions.Exit(1)


def _check_encoding(encoding: str) -> str:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise click.BadParameter(
            f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1)", param_hint="--encoding"
        ) from None
    return encoding


def _check_value_set(value_set: str) -> None:
    from fusiontrack.core import eq5d

    if value_set.lower() not in eq5d.VALUE_SETS_5L and value_set.lower() not in eq5d.NAMED_5L:
        raise click.BadParameter(
            f"unknown EQ-5D-5L value set {value_set!r}; run `fusiontrack value-sets` for the list",
            param_hint="--value-set",
        )


def _check_eq5d_settings(value_set_3l: str, mappings: tuple[str, ...], country: str) -> None:
    from fusiontrack.core.eq5d.mapping import CATALOGUE_CW, CATALOGUE_DSU
    from fusiontrack.core.eq5d.three_level import CATALOGUE_3L
    from fusiontrack.core.errors import ScoringError

    checks = [(CATALOGUE_3L, value_set_3l, "--value-set-3l")]
    if "crosswalk" in mappings:
        checks.append((CATALOGUE_CW, country, "--mapping-country"))
    if "dsu" in mappings:
        checks.append((CATALOGUE_DSU, country, "--mapping-country"))
    for catalogue, name, hint in checks:
        try:
            catalogue.resolve(name)
        except ScoringError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None


@main.command("value-sets")
def value_sets_command() -> None:
    """List the EQ-5D-5L value sets available for --value-set, with their sources."""
    from fusiontrack.core import eq5d

    for vs in eq5d.VALUE_SETS_5L:
        info = eq5d.value_set_info(vs)
        click.echo(f"{vs:<16} {info.citation}")
    click.echo("\nEQ-5D-3L TTO value sets (--value-set-3l, default uk):")
    click.echo("  " + ", ".join(eq5d.VALUE_SETS_3L))
    click.echo("5L → 3L crosswalk countries (--eq5d-mapping crosswalk; van Hout 2012):")
    click.echo("  " + ", ".join(eq5d.CROSSWALK_COUNTRIES))
    click.echo("NICE DSU mapping countries (--eq5d-mapping dsu; Hernández Alava 2023):")
    click.echo("  " + ", ".join(eq5d.DSU_COUNTRIES))


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
@encoding_option
@click.option("--limit", default=20, show_default=True, help="Patients to print (0 = all).")
def compare_command(
    baseline_csv: Path,
    followup_csv: Path,
    key: str,
    output_csv: Path | None,
    threshold_set: str,
    value_set: str,
    encoding: str,
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
        frame = next(iter(_read_csv_chunks(path, 10**9, encoding)), None)
        if frame is None:  # header only
            import pandas as pd

            frame = pd.read_csv(path, dtype=str, encoding=encoding)
        if key not in frame.columns:
            _fail(f"{path}: no column {key!r} (columns: {', '.join(map(str, frame.columns))})")
        try:
            scored = score_frame(frame, value_set, 1)
        except FusiontrackError as exc:
            _fail(f"{path}: {exc}")
        bad_rows = int((scored["errors"] != "").sum())
        if bad_rows:
            click.echo(
                f"{path}: {bad_rows} of {len(scored)} rows have answers that could not be scored "
                f"(those measures are left out); `fusiontrack score {path} -o FILE` lists why.",
                err=True,
            )
        frames.append(scored)
    try:
        result = compare_frames(frames[0], frames[1], key=key, threshold_set=threshold_set)
    except FusiontrackError as exc:
        _fail(str(exc))
    for label, count in result.blank_keys.items():
        click.echo(f"{count} {label} rows have no {key} and are left out.", err=True)
    if result.per_patient.empty:
        _fail(f"no patient appears in both files with a score on any measure (key {key!r})")
    click.echo(format_table(result.per_patient, limit=limit))
    click.echo()
    click.echo(format_summary(result.summary))
    if output_csv is not None:
        try:
            result.per_patient.to_csv(output_csv, index=False)
        except OSError as exc:
            _fail(f"cannot write {output_csv}: {exc.strerror or exc}")
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
