"""What the lead pages share: who is sales staff, and fetching a lead the user may see."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from leads.forms import assignable_salespeople
from leads.models import Lead
from opportunities.permissions import can_change_all, is_manager, salesperson_of


def is_sales_staff(user) -> bool:
    return is_manager(user) or can_change_all(user) or salesperson_of(user) is not None


def require_sales_staff(request) -> None:
    """The lead pages are for sales staff and managers (the public form aside)."""
    if not is_sales_staff(request.user):
        raise PermissionDenied(_("Only sales staff and sales managers work on leads."))


def get_lead(request, no: str) -> Lead:
    """The lead if the user may see it, else 404 (SPEC §5: not allowed answers as not found)."""
    require_sales_staff(request)
    return get_object_or_404(Lead.objects.visible_to(request.user).for_list(), no=no)


def salespeople_for(user):
    """The salespeople the user may assign leads to."""
    return assignable_salespeople(manager=can_change_all(user), own=salesperson_of(user))
