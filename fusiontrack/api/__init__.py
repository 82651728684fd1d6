"""REST API (django-ninja, OpenAPI at /api/openapi.json) and per-user API tokens (issue 7)."""
