"""Cohort insight (issue 5): dashboard, attrition, benchmarking and the patient/cohort PDFs.

Thin adapter: `queries` pulls the cohort out of the registry into pandas in a handful of SQL
queries, `aggregates` turns it into tables with the statistics core (`fusiontrack.core.stats`),
`charts` draws them as server-rendered SVG, `reports` renders HTML templates to PDF (WeasyPrint),
`views` and `cli` serve them. Researchers get the same aggregates with small cells suppressed and
no identifiers (`privacy`).
"""
