"""``{% portal_invitations patient episode %}``: the staff's invitation panel on a patient page.

Use in the registry's patient page (one line, after ``{% load portal_staff %}``)::

    {% load portal_staff %}{% portal_invitations patient episode %}
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("portal/staff/_panel.html", takes_context=True)
def portal_invitations(context: Any, patient: Any, episode: Any = None) -> dict[str, Any]:
    from fusiontrack.portal.views.staff import panel_context

    request = context["request"]
    data = panel_context(request, patient, episode)
    data["csrf_token"] = context.get("csrf_token")
    return data
