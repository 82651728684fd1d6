"""Admin: site plan protocols (validated overrides) and a read-only view of the outbox."""

from __future__ import annotations

from django.contrib import admin

from fusiontrack.portal.forms import SiteProtocolForm
from fusiontrack.portal.models import OutboxMessage, SiteProtocol


@admin.register(SiteProtocol)
class SiteProtocolAdmin(admin.ModelAdmin):
    form = SiteProtocolForm
    list_display = ("site", "updated_at")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "site", "channel", "kind", "state", "attempts", "next_attempt_at")
    list_filter = ("state", "channel", "kind", "site")
    readonly_fields = tuple(f.name for f in OutboxMessage._meta.fields)

    def has_add_permission(self, request: object) -> bool:
        return False
