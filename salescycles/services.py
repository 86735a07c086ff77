"""Deleting setup data without breaking the history that depends on it (SPEC §3.5).

Blocking (``blocked``) retires a cycle; deleting is for setup that nothing refers to yet.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError
from salescycles.models import Activity, CloseOpportunityCode, SalesCycle, SalesCycleStage


class SetupError(DomainError):
    """A setup rule refused the request (HTTP 409)."""


@transaction.atomic
def sales_cycle_delete(*, sales_cycle: SalesCycle, user=None) -> None:
    from opportunities.models import Opportunity, OpportunityEntry

    if Opportunity.objects.filter(sales_cycle=sales_cycle, closed=False).exists():
        raise SetupError(
            "sales_cycle_in_use",
            _("Sales cycle %(code)s has open opportunities and cannot be deleted.") % {"code": sales_cycle.code},
        )
    if (
        Opportunity.objects.filter(sales_cycle=sales_cycle).exists()
        or OpportunityEntry.objects.filter(sales_cycle=sales_cycle).exists()
    ):
        raise SetupError(
            "sales_cycle_has_history",
            _("Sales cycle %(code)s is part of the history of closed opportunities; block it instead.")
            % {"code": sales_cycle.code},
        )
    sales_cycle.delete()


@transaction.atomic
def stage_delete(*, stage: SalesCycleStage, user=None) -> None:
    from django.db.models import Q

    from opportunities.models import Opportunity, OpportunityEntry

    if OpportunityEntry.objects.filter(stage=stage, active=True).exists():
        raise SetupError(
            "stage_in_use",
            _("Stage %(stage)s has active opportunity entries and cannot be deleted.") % {"stage": stage.stage},
        )
    if (
        OpportunityEntry.objects.filter(Q(stage=stage) | Q(previous_stage=stage)).exists()
        or Opportunity.objects.filter(current_stage=stage).exists()
    ):
        raise SetupError(
            "stage_has_history",
            _("Stage %(stage)s is part of the history of opportunities and cannot be deleted.")
            % {"stage": stage.stage},
        )
    stage.delete()


@transaction.atomic
def close_code_delete(*, close_code: CloseOpportunityCode, user=None) -> None:
    from opportunities.models import Opportunity, OpportunityEntry

    if (
        Opportunity.objects.filter(close_code=close_code).exists()
        or OpportunityEntry.objects.filter(close_code=close_code).exists()
    ):
        raise SetupError(
            "close_code_in_use",
            _("Close code %(code)s is used by closed opportunities and cannot be deleted.") % {"code": close_code.code},
        )
    close_code.delete()


@transaction.atomic
def activity_delete(*, activity: Activity, user=None) -> None:
    """Stages that named the activity simply stop generating its tasks (tasks already made stay)."""
    activity.delete()
