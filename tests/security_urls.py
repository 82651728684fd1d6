"""The project's URLs plus the security app's, for tests until fusiontrack/urls.py mounts
``path("security/", include("fusiontrack.security.urls"))`` itself (then this adds nothing)."""

from __future__ import annotations

from django.urls import include, path

from fusiontrack.urls import urlpatterns as project_urlpatterns

_mounted = any(getattr(p, "namespace", None) == "security" for p in project_urlpatterns)
urlpatterns = list(project_urlpatterns)
if not _mounted:
    urlpatterns.insert(0, path("security/", include("fusiontrack.security.urls")))
