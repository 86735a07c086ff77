from django.conf import settings

from opportunities.permissions import is_manager, salesperson_of


def crm(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "CRM_CURRENCY": settings.CRM_CURRENCY,
        "crm_is_manager": is_manager(user),
        "crm_salesperson": salesperson_of(user),
    }
