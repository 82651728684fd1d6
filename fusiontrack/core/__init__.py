"""The clinical core: plain Python, no Django.

Instruments, scoring, thresholds, schedules, radiographic geometry and statistics live here so
they can be tested in milliseconds and reused by the web app, the CLI and reports alike.
`tests/test_core_has_no_django.py` fails if anything in this package imports Django.
"""
