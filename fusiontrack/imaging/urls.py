"""Imaging routes, mounted at /imaging/ by fusiontrack/urls.py."""

from __future__ import annotations

from django.urls import path

from fusiontrack.imaging import views

app_name = "imaging"

urlpatterns = [
    path("episodes/<int:episode_id>/", views.episode_detail, name="episode"),
    path("episodes/<int:episode_id>/radiographs/new/", views.upload, name="upload"),
    path("episodes/<int:episode_id>/fusion/", views.fusion_from_motion, name="fusion_from_motion"),
    path("radiographs/<int:radiograph_id>/", views.radiograph_detail, name="radiograph"),
    path("radiographs/<int:radiograph_id>/preview.png", views.radiograph_preview, name="preview"),
    path("radiographs/<int:radiograph_id>/original/", views.radiograph_original, name="original"),
    path("radiographs/<int:radiograph_id>/measures/", views.compute, name="compute"),
    path("radiographs/<int:radiograph_id>/landmarks/", views.save_landmarks, name="save_landmarks"),
    path("radiographs/<int:radiograph_id>/calibration/", views.calibrate, name="calibrate"),
    path("radiographs/<int:radiograph_id>/delete/", views.radiograph_delete, name="delete"),
]
