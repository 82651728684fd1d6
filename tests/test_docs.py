"""Docs that cannot drift: every CLI command and every instrument is documented."""

from __future__ import annotations

from pathlib import Path

from fusiontrack.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_cli_command_is_in_the_readme():
    missing = [name for name in main.commands if f"fusiontrack {name}" not in README]
    assert missing == []


def test_readme_starts_with_the_two_commands():
    first_code_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_code_block and "make test" in first_code_block


def test_every_instrument_has_a_contributing_checklist_entry_point():
    from fusiontrack.core.instruments import INSTRUMENTS

    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "Adding an instrument" in contributing
    definitions = ROOT / "fusiontrack" / "core" / "instruments" / "definitions"
    for instrument_id in INSTRUMENTS:
        assert any(p.stem == instrument_id for p in definitions.glob("*.json")), instrument_id
