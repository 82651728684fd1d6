"""Portal routes, mounted at /p/: patient pages, plans, and the staff's invitation pages.

The link is /p/<token>; everything after the first visit lives at token-free addresses.
"""

from __future__ import annotations

from django.urls import path, re_path

from fusiontrack.portal.views import patient, plans, staff

app_name = "portal"

urlpatterns = [
    path("", patient.home, name="home"),
    path("verify/", patient.verify, name="verify"),
    path("q/<slug:instrument_id>/", patient.question, name="question"),
    path("review/", patient.review, name="review"),
    path("done/", patient.done, name="done"),
    path("results/", patient.results_view, name="results"),
    path("leave/", patient.leave, name="leave"),
    path("plan/<slug:kind>/", plans.patient_plan, name="plan"),
    path("plan/<slug:kind>.<slug:fmt>", plans.patient_plan, name="plan_file"),
    # Staff.
    path(
        "staff/patients/<int:patient_id>/invitations/",
        staff.patient_invitations,
        name="staff_invitations",
    ),
    path("staff/episodes/<int:episode_id>/send/", staff.send, name="staff_send"),
    path("staff/invitations/<int:invitation_id>/revoke/", staff.revoke, name="staff_revoke"),
    path(
        "staff/episodes/<int:episode_id>/plan-details/",
        staff.plan_details,
        name="staff_plan_details",
    ),
    path("staff/episodes/<int:episode_id>/plan/<slug:kind>/", plans.staff_plan, name="staff_plan"),
    path(
        "staff/episodes/<int:episode_id>/plan/<slug:kind>.<slug:fmt>",
        plans.staff_plan,
        name="staff_plan_file",
    ),
    # The link itself (last: tokens are 43 URL-safe characters, never a word above).
    re_path(r"^(?P<token>[A-Za-z0-9_-]{32,128})$", patient.enter, name="enter"),
]
