"""The worklist: who needs action today, per tab, filterable and paginated."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fusiontrack.core import vocab
from fusiontrack.registry import services
from fusiontrack.registry import worklist as wl
from fusiontrack.registry.access import clinical_site_ids
from fusiontrack.registry.models import Site
from fusiontrack.registry.scheduling import display_status
from fusiontrack.registry.views.common import int_or_none, paginate, today


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    allowed = clinical_site_ids(request)
    site_id = int_or_none(request.GET.get("site"))
    tab = request.GET.get("tab", "followup")
    tab = tab if tab in wl.QUERIES else "followup"
    filters = wl.Filters(
        site_ids=[site_id] if site_id in allowed else allowed,
        timepoint=request.GET.get("timepoint", ""),
        stage=request.GET.get("stage", ""),
        surgeon_id=int_or_none(request.GET.get("surgeon")),
        overdue_only=request.GET.get("overdue") == "1",
    )
    as_of = today()
    counts = wl.counts(filters, as_of)
    page = paginate(request, wl.QUERIES[tab](filters, as_of), counts[tab])
    if tab == "followup":
        for f in page.object_list:
            f.display_status = display_status(f, as_of)
    context = {
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in wl.TABS],
        "page": page,
        "filters": filters,
        "selected_site": site_id if site_id in allowed else None,
        "sites": Site.objects.filter(pk__in=allowed),
        "surgeons": get_user_model()
        .objects.filter(memberships__site_id__in=allowed, memberships__role="surgeon")
        .distinct(),
        "timepoints": vocab.TIMEPOINTS,
        "stages": vocab.EPISODE_STAGES,
        "as_of": as_of,
        "query": request.GET.copy(),
    }
    services.audit_list(
        request, "worklist", [getattr(row, "patient_id", None) for row in page.object_list]
    )
    return render(request, "registry/worklist.html", context)
