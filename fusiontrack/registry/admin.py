"""Django admin for configuration only: sites, staff roles, the audit trail (read-only).

Patient data is deliberately not registered here: every read and change of it goes through the
staff UI, which checks site and role and writes the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from fusiontrack.registry.models import AuditEvent, Membership, ReferenceTrajectory, Site


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "created_at")
    search_fields = ("name", "code")
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "role")
    list_filter = ("site", "role")
    search_fields = ("user__username", "user__last_name")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "username",
        "role",
        "action",
        "object_type",
        "object_id",
        "patient_id_ref",
    )
    list_filter = ("action", "object_type", "role")
    search_fields = ("username", "object_id")
    date_hierarchy = "at"


@admin.register(ReferenceTrajectory)
class ReferenceTrajectoryAdmin(ReadOnlyAdmin):
    list_display = ("measure", "group", "timepoint", "n", "p25", "median", "p75", "computed_at")
    list_filter = ("measure", "group")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = (MembershipInline,)
