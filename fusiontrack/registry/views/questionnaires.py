"""Staff entry of a questionnaire (paper or phone), scored by the core; reading a response."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from fusiontrack.core.errors import FusiontrackError
from fusiontrack.registry import access, services
from fusiontrack.registry.forms import QuestionnaireHeaderForm
from fusiontrack.registry.questionnaire_form import InstrumentForm
from fusiontrack.registry.views.common import today


def _instruments():  # type: ignore[no-untyped-def]
    from fusiontrack.core.instruments import INSTRUMENTS

    return sorted(INSTRUMENTS.values(), key=lambda i: (i.order, i.id))


def _instrument(instrument_id: str):  # type: ignore[no-untyped-def]
    from fusiontrack.core.instruments import get_instrument

    try:
        return get_instrument(instrument_id)
    except (KeyError, FusiontrackError):
        raise Http404("No such instrument.") from None


def _suggested_timepoint(episode) -> str:  # type: ignore[no-untyped-def]
    from fusiontrack.core.schedule import assign_timepoint

    surgery = episode.surgery_date or episode.planned_surgery_date
    return assign_timepoint(surgery, today()) or ""


@login_required
def response_create(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id, kind="questionnaire", write=True)
    context: dict[str, object] = {"episode": episode, "patient": episode.patient}
    instrument_id = request.GET.get("instrument") or request.POST.get("instrument")
    if not instrument_id:
        context["instruments"] = _instruments()
        return render(request, "registry/questionnaire_pick.html", context)
    instrument = _instrument(instrument_id)
    data = request.POST or None
    header = QuestionnaireHeaderForm(
        data,
        as_of=today(),
        initial={
            "responded_on": today(),
            "timepoint": _suggested_timepoint(episode),
            "entry_mode": "phone",
        },
    )
    items = InstrumentForm(instrument, data)
    if request.method == "POST" and header.is_valid() and items.is_valid():
        try:
            response = services.save_response(
                request,
                episode=episode,
                instrument_id=instrument.id,
                timepoint=header.cleaned_data["timepoint"],
                responded_on=header.cleaned_data["responded_on"],
                answers=items.answers(),
                entry_mode=header.cleaned_data["entry_mode"],
                role=access.role_at(request, episode.site_id) or "",
            )
        except FusiontrackError as exc:
            items.add_core_error(exc)
        else:
            if response.complete:
                messages.success(request, f"{instrument.short_title} saved and scored.")
            else:
                messages.warning(
                    request,
                    f"{instrument.short_title} saved as incomplete: {response.incomplete_reason}",
                )
            url = reverse("registry:patient_detail", args=[episode.patient_id])
            return redirect(f"{url}?episode={episode.pk}")
    context.update(instrument=instrument, header=header, items=items)
    return render(request, "registry/questionnaire_form.html", context)


@login_required
def response_detail(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_user(request, response_id)
    role = access.role_at(request, response.site_id) or ""
    try:
        instrument = _instrument(response.instrument_id)
        labels = {item.id: item.label for item in instrument.items}
    except Http404:
        instrument, labels = None, {}
    answers = [(labels.get(k, k), v) for k, v in response.answers.items()]
    services.audit_read(request, response, role)
    context = {
        "response": response,
        "instrument": instrument,
        "answers": answers,
        "patient": response.patient,
        "episode": response.episode,
        "can_correct": instrument is not None and access.can_write(role, "questionnaire"),
    }
    return render(request, "registry/response_detail.html", context)


class AmendForm(forms.Form):
    """Why a stored response is being changed (required once it is complete) and the version
    the editor loaded (optimistic concurrency)."""

    reason = forms.CharField(
        max_length=300,
        required=False,
        label="Reason for the change",
        help_text="Required for a completed questionnaire; kept in the audit trail.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


@login_required
def response_edit(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_user(request, response_id, write=True)
    role = access.role_at(request, response.site_id) or ""
    instrument = _instrument(response.instrument_id)
    data = request.POST or None
    header = AmendForm(data, initial={"version": response.version})
    initial = {f"item_{k}": v for k, v in response.answers.items()}
    items = InstrumentForm(instrument, data, initial=initial)
    if request.method == "POST" and header.is_valid() and items.is_valid():
        try:
            services.amend_response(
                request,
                response,
                answers=items.answers(),
                reason=header.cleaned_data["reason"],
                expected_version=header.cleaned_data["version"],
                role=role,
            )
        except services.ReasonRequired as exc:
            header.add_error("reason", str(exc))
        except services.StaleRecord as exc:
            header.add_error(None, str(exc))
        except FusiontrackError as exc:
            items.add_core_error(exc)
        else:
            messages.success(request, f"{instrument.short_title} corrected and rescored.")
            return redirect("registry:response_detail", response_id=response.pk)
    context = {
        "instrument": instrument,
        "header": header,
        "items": items,
        "patient": response.patient,
        "episode": response.episode,
    }
    return render(request, "registry/questionnaire_form.html", context)
