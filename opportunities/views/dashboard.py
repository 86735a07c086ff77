"""Views: the dashboard, the site's home page (``config/urls.py`` routes "" here).

A rep sees their own pipeline; a manager sees everyone's or picks one salesperson. Every figure
is an SQL aggregate (``opportunities.reports``), so the page costs a fixed number of queries.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from contacts.models import Salesperson
from opportunities import reports
from opportunities.models import Opportunity
from opportunities.permissions import is_manager, salesperson_of

OVERDUE_LIST_SIZE = 10
FORECAST_MONTHS = 12


@require_safe
def dashboard(request):
    user = request.user
    today = timezone.localdate()
    manager = is_manager(user)
    salespeople = []
    chosen = None
    if manager:
        salespeople = list(Salesperson.objects.order_by("name"))
        code = request.GET.get("salesperson", "")
        chosen = next((person for person in salespeople if person.code == code), None)

    summary = reports.pipeline_summary(user=user, today=today, salesperson=chosen, forecast_months=FORECAST_MONTHS)
    forecast = summary["forecast"]
    tasks = reports.task_summary(user=user, today=today, salesperson=chosen)
    overdue = Opportunity.objects.visible_to(user).open().filter(estimated_closing_date__lt=today)
    if chosen is not None:
        overdue = overdue.filter(salesperson=chosen)
    overdue = overdue.select_related("contact", "salesperson")  # what the list shows, in one short join
    overdue = list(overdue.order_by("estimated_closing_date", "no")[:OVERDUE_LIST_SIZE])

    for month in forecast:
        month["label"] = formats.date_format(month["month"], "YEAR_MONTH_FORMAT")
    chart = {
        "labels": [month["label"] for month in forecast],
        "estimated": [float(month["estimated_value"]) for month in forecast],
        "weighted": [float(month["weighted_value"]) for month in forecast],
        "estimatedLabel": _("Estimated sales value"),
        "weightedLabel": _("Weighted value"),
        "currency": settings.CRM_CURRENCY,
    }
    context = {
        "today": today,
        "is_manager": manager,
        "has_pipeline": manager or salesperson_of(user) is not None,
        "salespeople": salespeople,
        "chosen": chosen,
        "summary": summary,
        "forecast": forecast,
        "chart": chart,
        "tasks": tasks,
        "overdue": overdue,
    }
    return render(request, "dashboard/dashboard.html", context)
