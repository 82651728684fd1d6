"""Human-readable output (text tables, later PDFs) built on the core's results."""
