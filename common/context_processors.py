from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from opportunities.permissions import is_manager, salesperson_of

# The main navigation: (url name, label). An entry shows once its view is installed.
NAVIGATION = [
    ("home", _("Dashboard")),
    ("opportunities:board", _("Pipeline")),
    ("opportunities:list", _("Opportunities")),
    ("contacts:list", _("Contacts")),
    ("opportunities:tasks", _("My tasks")),
    ("opportunities:reports", _("Reports")),
]


def _navigation(request) -> list[dict]:
    entries = []
    for name, label in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = request.path == url if url == "/" else request.path.startswith(url)
        entries.append({"url": url, "label": label, "current": current})
    return entries


def crm(request) -> dict:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "CRM_CURRENCY": settings.CRM_CURRENCY,
        "crm_is_manager": is_manager(user),
        "crm_salesperson": salesperson_of(user),
        "crm_navigation": _navigation(request) if signed_in else [],
    }
