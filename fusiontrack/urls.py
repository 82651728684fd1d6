"""URL map: staff UI under the registry app, Django auth views, admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from fusiontrack.api.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="registry:worklist", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("fhir/", include("fusiontrack.fhir.urls")),
    path("imaging/", include("fusiontrack.imaging.urls")),
    path("p/", include("fusiontrack.portal.urls")),
    path("cohort/", include("fusiontrack.insight.urls")),
    path("security/", include("fusiontrack.security.urls")),
    path("fhir", RedirectView.as_view(url="/fhir/", permanent=True)),
    path("", include("fusiontrack.registry.urls")),
]
