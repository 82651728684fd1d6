"""The NinjaAPI instance: OpenAPI at /api/openapi.json, docs at /api/docs, one error shape."""

from __future__ import annotations

from ninja import NinjaAPI

from fusiontrack import __version__
from fusiontrack.api import errors
from fusiontrack.api.auth import TOKEN_OR_SESSION
from fusiontrack.api.routes import cohort, patients, records, responses, tokens

api = NinjaAPI(
    title="fusiontrack API",
    version=__version__,
    description=(
        "Typed API for the fusiontrack registry. Authenticate with a per-user API token "
        "(`Authorization: Bearer ft_...`, scoped to one site, read or write) or the staff "
        "session. Every read of patient data is audited. Errors: "
        '`{"error": {"status", "code", "message", "fields"?}}`.'
    ),
    auth=TOKEN_OR_SESSION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)

for module in (patients, records, responses, cohort, tokens):
    api.add_router("", module.router)
