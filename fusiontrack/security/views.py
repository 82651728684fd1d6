"""The TOTP page (set up or enter a code) and the per-patient audit view for admins."""

from __future__ import annotations

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from fusiontrack.registry import access, audit
from fusiontrack.registry.models import AuditEvent
from fusiontrack.security.csvsafe import neutralise_row


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\d{6}$",
        label="6-digit code from your authenticator app",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@login_required
def mfa(request: HttpRequest) -> HttpResponse:
    """Set up TOTP (first time: shows the key) or check a code; single use, 30 s steps."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    setup = device is None
    if setup:
        device, _ = TOTPDevice.objects.get_or_create(
            user=request.user, confirmed=False, defaults={"name": "authenticator"}
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if setup:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit.record_event(
                    request,
                    "security",
                    "totpdevice",
                    str(device.pk),
                    detail={"event": "mfa_enrolled"},
                )
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", "That code is wrong or already used. Wait for the next code.")
        audit.record_event(
            request,
            "login_failed",
            "totpdevice",
            str(device.pk),
            detail={"event": "mfa_code_rejected"},
        )
    context = {
        "form": form,
        "setup": setup,
        "key": device.bin_key.hex() if setup else "",
        "base32_key": _base32(device.bin_key) if setup else "",
        "uri": device.config_url if setup else "",
        "next": _next_url(request),
    }
    return render(request, "security/mfa.html", context)


def _base32(raw: bytes) -> str:
    import base64

    return base64.b32encode(raw).decode("ascii").rstrip("=")


AUDIT_COLUMNS = (
    "sequence",
    "at",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "changes",
    "reason",
    "ip_address",
    "user_agent",
    "path",
    "detail",
)


@login_required
def patient_audit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Every audit entry about one patient, for admins of its site (CSV with ?format=csv)."""
    patient = access.get_patient_for_user(request, patient_id)
    role = access.role_at(request, patient.site_id)
    if role != "admin":
        raise PermissionDenied("Only an administrator of this site can read the audit trail.")
    entries = AuditEvent.objects.filter(patient_id_ref=patient.pk).order_by("sequence")
    audit.record(
        request,
        "read",
        patient,
        patient_id=patient.pk,
        site_id=patient.site_id,
        role=role,
        detail={"view": "audit_trail"},
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-patient-{patient.pk}.csv"'
        writer = csv.writer(response)
        writer.writerow(AUDIT_COLUMNS)
        for entry in entries.iterator():
            writer.writerow(neutralise_row([str(getattr(entry, c)) for c in AUDIT_COLUMNS]))
        return response
    return render(request, "security/patient_audit.html", {"patient": patient, "entries": entries})
