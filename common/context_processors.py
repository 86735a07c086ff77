from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from opportunities.permissions import can_change_all, is_manager, salesperson_of

# The main navigation: (url name, label). An entry shows once its view is installed.
NAVIGATION = [
    ("home", _("Dashboard")),
    ("leads:list", _("Leads")),
    ("opportunities:board", _("Pipeline")),
    ("opportunities:list", _("Opportunities")),
    ("contacts:list", _("Contacts")),
    ("opportunities:tasks", _("My tasks")),
    ("opportunities:reports", _("Reports")),
]


# Entries only sales staff and managers see (the pages answer 403 to anybody else).
SALES_STAFF_ONLY = {"leads:list"}


def _navigation(request) -> list[dict]:
    user = request.user
    sales_staff = is_manager(user) or can_change_all(user) or salesperson_of(user) is not None
    entries = []
    for name, label in NAVIGATION:
        if name in SALES_STAFF_ONLY and not sales_staff:
            continue
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
