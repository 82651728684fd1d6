"""The patient and cohort PDFs as pages: rendered by WeasyPrint, rasterised with pypdfium2 and
checked as images (not only as extracted text): a sensible number of pages, no blank page,
nothing past the right margin, coloured charts where charts belong, no table title stranded at
the foot of a page, the patient named on every page and no badly formatted number.

The cohort is a small synthetic one (``fusiontrack.synthetic``, as the demo loads it), loaded
once for the module, so every section of the annual report has data."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pytest

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 24)
PATIENTS = 150
SEED = 5
DPI = 50
#: @page margins in _report_style.html (16 mm top, 14 mm left/right, 18 mm bottom).
SIDE_MARGIN_MM = 14
WHITE = 245  # a pixel with every channel at or above this is paper


@dataclass
class Rendered:
    """One PDF: its pages as RGB arrays and as text lines."""

    pages: list[np.ndarray]
    lines: list[list[str]]

    @property
    def text(self) -> str:
        return "\n".join("\n".join(page) for page in self.lines)


def rasterise(pdf: bytes) -> Rendered:
    import pypdfium2 as pdfium

    assert pdf.startswith(b"%PDF")
    document = pdfium.PdfDocument(pdf)
    pages, lines = [], []
    for page in document:
        pages.append(np.asarray(page.render(scale=DPI / 72).to_pil().convert("RGB")))
        text = page.get_textpage().get_text_range()
        lines.append([line.strip() for line in text.splitlines() if line.strip()])
    document.close()
    return Rendered(pages, lines)


@pytest.fixture(scope="module")
def reports(django_db_setup, django_db_blocker):
    """The synthetic cohort loaded once (committed, flushed afterwards) and three PDFs: the
    cohort report and the patient reports of the patient with the most answers and of one
    with none. (The de-identified cohort report shares every template and would add ~6 s.)"""
    from django.core.management import call_command
    from django.db.models import Count

    from fusiontrack import demo
    from fusiontrack.insight import reports as r
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.insight.service import compute
    from fusiontrack.registry import models as m
    from fusiontrack.synthetic import generate_cohort

    with django_db_blocker.unblock():
        # As the demo loads it, without the reference trajectories the reports do not use.
        demo.load_cohort(generate_cohort(PATIENTS, seed=SEED, as_of=AS_OF), refresh=False)
        sites = tuple(m.Site.objects.order_by("pk").values_list("pk", flat=True))
        view = compute(sites, CohortFilter(), as_of=AS_OF, deidentified=False, cached=False)
        out = {
            "cohort": rasterise(r.cohort_pdf(view, as_of=AS_OF, title="All sites")),
            "titles": [t.title for t in view.board.tables.values()]
            + [name for name, _ in r.COHORT_SECTIONS],
        }
        by_answers = m.Patient.objects.annotate(n=Count("score_rows")).order_by("-n", "pk")
        out["patient_obj"] = busiest = by_answers.first()
        out["patient"] = rasterise(r.patient_pdf(busiest, as_of=AS_OF))
        silent = by_answers.filter(n=0).first()
        assert silent is not None, "the seeded cohort has a patient who never answered"
        out["silent"] = rasterise(r.patient_pdf(silent, as_of=AS_OF))
    yield out
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def ink(page: np.ndarray) -> np.ndarray:
    """True where the pixel is not paper."""
    return (page < WHITE).any(axis=2)


def colour(page: np.ndarray) -> np.ndarray:
    """True where the pixel is clearly coloured (the charts' lines and points), not grey."""
    channels = page.astype(int)
    return (channels.max(axis=2) - channels.min(axis=2)) > 60


ALL = ("cohort", "patient", "silent")


def test_page_counts_are_in_the_expected_range(reports):
    assert 5 <= len(reports["cohort"].pages) <= 12
    assert 1 <= len(reports["patient"].pages) <= 3
    assert len(reports["silent"].pages) == 1


@pytest.mark.parametrize("name", ALL)
def test_no_page_is_blank(reports, name):
    rendered = reports[name]
    for number, page in enumerate(rendered.pages, 1):
        grey = page.mean(axis=2)
        assert grey.std() > 8, f"page {number} is (nearly) uniform"
        body = ink(page)[: int(page.shape[0] * 0.9)]  # above the footer
        assert body.mean() > 0.01, f"page {number} has almost nothing above the footer"


@pytest.mark.parametrize("name", ALL)
def test_nothing_runs_past_the_side_margins(reports, name):
    """The attrition table with its long note column once ran off the right edge."""
    rendered = reports[name]
    for number, page in enumerate(rendered.pages, 1):
        width = page.shape[1]
        margin = SIDE_MARGIN_MM / 25.4 * DPI
        columns = np.flatnonzero(ink(page).any(axis=0))
        assert columns.size, f"page {number} is empty"
        # One pixel of tolerance for anti-aliasing at the content edge.
        assert columns.max() <= width - margin + 1, (
            f"page {number}: ink at x={columns.max()} px, right margin starts at "
            f"{width - margin:.0f} px"
        )
        assert columns.min() >= margin - 2, f"page {number}: ink left of the margin"


def test_cohort_outcome_charts_are_drawn_in_colour_side_by_side(reports):
    pages = reports["cohort"].pages
    lines = reports["cohort"].lines
    outcomes = next(i for i, page in enumerate(lines) if "2. Patient-reported outcomes" in page)
    # The six charts may start under the heading and continue on the next page.
    coloured = np.concatenate([colour(page) for page in pages[outcomes : outcomes + 2]])
    half = coloured.shape[1] // 2
    # Two columns of mean-trajectory charts with their CI bars.
    assert coloured[:, :half].sum() > 300 and coloured[:, half:].sum() > 300
    # Every chart carries a visible caption (an SVG <title> alone is not printed).
    text = " ".join(" ".join(page) for page in lines[outcomes : outcomes + 2])
    assert "Oswestry Disability Index: mean and 95 % CI" in text
    assert "EQ VAS (0–100): mean and 95 % CI" in text
    # The Kaplan–Meier chart is coloured too.
    survival = next(i for i, page in enumerate(lines) if any("3. Complications" in x for x in page))
    assert colour(pages[survival]).sum() > 100


def test_patient_charts_follow_the_scores_with_a_caption_per_measure(reports):
    """The charts start right under the scores table: with the default widows/orphans (2) a
    block of three chart rows once jumped whole to the next page, leaving half a page empty."""
    rendered = reports["patient"]
    first = colour(rendered.pages[0])
    half = first.shape[1] // 2
    assert first[:, :half].sum() > 200 and first[:, half:].sum() > 200
    text = rendered.text
    for caption in ("Oswestry Disability Index", "Back pain (0–10 numeric rating scale)"):
        assert caption in text


def test_no_table_title_is_stranded_at_the_foot_of_a_page(reports):
    """A heading whose table starts on the next page reads as an empty section."""
    titles = reports["titles"]
    for number, page in enumerate(reports["cohort"].lines[:-1], 1):
        body = [line for line in page if not re.search(r"page \d+ of \d+$", line)]
        last = body[-1]
        stranded = len(last) > 8 and any(last in title for title in titles)
        assert not stranded, f"page {number} ends with the heading {last!r}"


def test_the_patient_is_named_on_every_page(reports):
    patient = reports["patient_obj"]
    rendered = reports["patient"]
    for number, page in enumerate(rendered.lines, 1):
        footer = page[-1]
        assert f"MRN {patient.mrn}" in footer, f"page {number} does not name the patient"
        assert f"page {number} of {len(rendered.lines)}" in footer


@pytest.mark.parametrize("name", ALL)
def test_numbers_are_formatted_for_reading(reports, name):
    rendered = reports[name]
    text = rendered.text
    for word in ("nan", "None", "NaN", "inf"):
        assert not re.search(rf"\b{word}\b", text), word
    assert not re.search(r"\d\.\d{4,}", text), "a number with four or more decimals"
    assert not re.search(r"(?<![\d.])-0(\.0+)?\b(?!\.\d*[1-9])", text), "a negative zero"
    percents = [float(p.replace(",", "")) for p in re.findall(r"(-?\d[\d,]*(?:\.\d+)?) %", text)]
    assert all(0 <= p <= 100 for p in percents), [p for p in percents if not 0 <= p <= 100]


def render_tables(*tables) -> Rendered:
    """Cohort-report tables alone on A4 with the report's style."""
    from django.template import engines

    from fusiontrack.insight.reports import html_to_pdf, report_table

    template = engines["django"].from_string(
        '<html><head>{% include "insight/_report_style.html" %}</head><body>'
        '{% for t in tables %}{% include "insight/_report_table.html" with t=t %}{% endfor %}'
        "</body></html>"
    )
    return rasterise(html_to_pdf(template.render({"tables": [report_table(t) for t in tables]})))


def test_a_wide_table_with_a_long_note_column_stays_inside_the_margins():
    """The IPW attrition table (12 numeric columns and a free-text note per row) ran past the
    right edge, its note cut off; the note now goes under the table, naming its row."""
    import pandas as pd

    from fusiontrack.insight.aggregates import Table

    note = (
        "response model: the logistic model could not be fitted (ConvergenceWarning); usually a "
        "covariate predicts the outcome perfectly or a category is too rare; drop or merge it"
    )
    numbers = {
        c: [0.74, 0.85, float("nan")]
        for c in ("complete_case", "cc_lower", "cc_upper", "ipw", "ipw_lower", "ipw_upper")
    }
    frame = pd.DataFrame(
        {
            "measure": ["odi"] * 3,
            "timepoint": ["3m", "12m", "24m"],
            "n_eligible": [286, 215, 112],
            "n_answering": [219, 162, 85],
            **numbers,
            "effective_n": [209.2, 154.5, float("nan")],
            "n_excluded": [0.0, 0.0, float("nan")],
            "note": ["", "", note],
        }
    )
    rendered = render_tables(Table("attrition_ipw", "ODI MCID: complete-case vs IPW", frame))
    page = rendered.pages[0]
    right = np.flatnonzero(ink(page).any(axis=0)).max()
    assert right <= page.shape[1] - SIDE_MARGIN_MM / 25.4 * DPI + 1
    assert f"ODI 24 months: {note}" in " ".join(rendered.lines[0])


def test_interval_bounds_of_a_mean_are_in_its_unit_not_percent():
    """presentation.display prints every lower/upper as a percentage of one (right for a
    proportion); next to a mean ODI of 47.0 the bounds are 45.3 and 48.7, not 4529.0 %."""
    import pandas as pd

    from fusiontrack.insight.aggregates import Table
    from fusiontrack.insight.reports import report_table

    means = pd.DataFrame(
        {
            "measure": ["odi", "odi", "odi"],
            "timepoint": ["12m", "3m", "baseline"],
            "n": [169, 229, 316],
            "mean": [25.31, 32.39, 46.99],
            "sd": [15.1, 14.0, 15.34],
            "lower": [23.02, 30.57, 45.29],
            "upper": [27.61, 34.22, 48.69],
        }
    )
    rows = report_table(Table("means", "Mean score", means))["rows"]
    # Time points in clinical order, bounds in ODI points.
    assert [r[1] for r in rows] == ["Baseline (before surgery)", "3 months", "12 months"]
    assert rows[0][5:] == ["45.3", "48.7"]
    proportions = pd.DataFrame({"proportion": [0.744], "lower": [0.683], "upper": [0.798]})
    assert report_table(Table("t", "Share", proportions))["rows"][0] == [
        "74.4 %",
        "68.3 %",
        "79.8 %",
    ]
