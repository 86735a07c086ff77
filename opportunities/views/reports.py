"""Views: the reports page (SPEC §4) and its CSV downloads.

The page shows one report at a time, chosen by ``?report=`` (the tabs; the forecast by default),
under the filter form the reports share; a request computes only that report and its charts.
A rep sees the figures of their own opportunities; a manager sees everyone's or one salesperson's.
Every figure is an SQL aggregate of ``opportunities.reports``, so each tab costs a fixed number of
queries however many opportunities there are.
"""

import csv
import io
from decimal import Decimal

from django import forms
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.urls import path
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from common.markup import fill
from common.spreadsheet import neutralise
from common.templatetags.crm import money, number_format, percent
from contacts.forms import SalespersonChoiceField
from contacts.models import Salesperson
from opportunities import reports
from opportunities.permissions import is_manager, salesperson_of
from salescycles.models import SalesCycle

# The tabs of the page, in order: (``?report=`` value, label). The same values name the CSV downloads.
REPORT_TABS = [
    ("forecast", gettext_lazy("Forecast")),
    ("salespeople", gettext_lazy("Salespeople")),
    ("win-loss", gettext_lazy("Win/loss")),
    ("sales-cycle", gettext_lazy("Sales cycle statistics")),
]
DEFAULT_REPORT = "forecast"

# The sortable columns of the salesperson statistics: (key, label, numeric).
SALESPEOPLE_COLUMNS = [
    ("name", gettext_lazy("Salesperson"), False),
    ("open_count", gettext_lazy("Open"), True),
    ("estimated_value", gettext_lazy("Estimated sales value"), True),
    ("weighted_value", gettext_lazy("Weighted value"), True),
    ("won_count", gettext_lazy("Won"), True),
    ("won_value", gettext_lazy("Won value"), True),
    ("lost_count", gettext_lazy("Lost"), True),
    ("win_rate_pct", gettext_lazy("Win rate"), True),
    ("average_days_to_close", gettext_lazy("Average days to close"), True),
]
SALESPEOPLE_SORT_KEYS = {key for key, _label, _numeric in SALESPEOPLE_COLUMNS}


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sales_cycle = forms.ModelChoiceField(
        label=gettext_lazy("Sales cycle"),
        empty_label=gettext_lazy("All"),
        queryset=SalesCycle.objects.order_by("code"),
        to_field_name="code",
        required=False,
    )
    salesperson = SalespersonChoiceField(
        label=gettext_lazy("Salesperson"),
        empty_label=gettext_lazy("All"),
        queryset=Salesperson.objects.order_by("name"),
        to_field_name="code",
        required=False,
    )

    def __init__(self, *args, manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:
            # A rep's figures are their own: there is nobody else to choose.
            del self.fields["salesperson"]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data


def _filters(form: ReportFilterForm) -> dict:
    data = form.cleaned_data
    return {
        "sales_cycle": data.get("sales_cycle"),
        "salesperson": data.get("salesperson"),
        "date_from": data.get("date_from"),
        "date_to": data.get("date_to"),
    }


def _cycle_statistics(user, filters: dict) -> dict | None:
    """The statistics of the chosen cycle, else of the first one by code."""
    cycle = filters["sales_cycle"] or SalesCycle.objects.order_by("code").first()
    if cycle is None:
        return None
    return reports.sales_cycle_statistics(
        sales_cycle=cycle,
        user=user,
        salesperson=filters["salesperson"],
        date_from=filters["date_from"],
        date_to=filters["date_to"],
    )


def _sorted_salespeople(rows: list[dict], sort: str) -> tuple[list[dict], str, bool]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SALESPEOPLE_SORT_KEYS:
        key, descending = "name", False
    # Empty figures (no win rate, no closed ones) always come last.
    present = [row for row in rows if row[key] is not None]
    missing = [row for row in rows if row[key] is None]
    present.sort(key=lambda row: row[key].casefold() if isinstance(row[key], str) else row[key], reverse=descending)
    return present + missing, key, descending


def _salespeople_columns(key: str, descending: bool) -> list[dict]:
    columns = []
    for column, label, numeric in SALESPEOPLE_COLUMNS:
        current = column == key
        columns.append(
            {
                "label": label,
                "numeric": numeric,
                "sort": f"-{column}" if current and not descending else column,
                "aria_sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return columns


def _forecast_page(user, filters: dict, sort: str) -> dict:
    forecast = reports.forecast(user=user, **filters)
    for month in forecast:
        month["label"] = formats.date_format(month["month"], "YEAR_MONTH_FORMAT")
    chart = {
        "labels": [month["label"] for month in forecast],
        "datasets": [
            {"label": _("Estimated sales value"), "data": [float(m["estimated_value"]) for m in forecast]},
            {"label": _("Weighted value"), "data": [float(m["weighted_value"]) for m in forecast]},
            {"label": _("Won value"), "data": [float(m["won_value"]) for m in forecast]},
        ],
    }
    return {"forecast": forecast, "charts": {"forecast": chart}}


SALESPERSON_ROW_HTML = """        <tr>
          <th scope="row">{name} <span class="meta">{code}</span></th>
          <td class="num">{open_count}</td>
          <td class="num">{estimated_value}</td>
          <td class="num">{weighted_value}</td>
          <td class="num">{won_count}</td>
          <td class="num">{won_value}</td>
          <td class="num">{lost_count}</td>
          <td class="num">{win_rate}</td>
          <td class="num">{days}</td>
        </tr>
"""


def _salesperson_rows(rows: list[dict]) -> list[SafeString]:
    """The HTML of each salesperson's row, filled in Python: the template language took 40 ms for
    the 1,800 cells of 200 salespeople (bench/RESULTS.md, round e)."""

    def count(value) -> str:
        return number_format(Decimal(value), 0)

    return [
        fill(
            SALESPERSON_ROW_HTML,
            name=row["name"],
            code=row["salesperson"],
            open_count=count(row["open_count"]),
            estimated_value=money(row["estimated_value"]),
            weighted_value=money(row["weighted_value"]),
            won_count=count(row["won_count"]),
            won_value=money(row["won_value"]),
            lost_count=count(row["lost_count"]),
            win_rate="—" if row["win_rate_pct"] is None else percent(row["win_rate_pct"]),
            days="—" if row["average_days_to_close"] is None else floatformat(row["average_days_to_close"], 1),
        )
        for row in rows
    ]


def _salespeople_page(user, filters: dict, sort: str) -> dict:
    salespeople, sort_key, descending = _sorted_salespeople(reports.salespeople_statistics(user=user, **filters), sort)
    return {
        "salespeople": salespeople,
        "salespeople_rows": _salesperson_rows(salespeople),
        "salespeople_columns": _salespeople_columns(sort_key, descending),
        "charts": {},
    }


def _win_loss_page(user, filters: dict, sort: str) -> dict:
    win_loss = reports.win_loss(user=user, **filters)
    for row in win_loss["by_stage"]:
        row["label"] = _stage_label(row)
    charts = {
        "closeCodes": {
            "labels": [row["close_code"] for row in win_loss["by_close_code"]],
            "datasets": [{"label": _("Opportunities"), "data": [row["count"] for row in win_loss["by_close_code"]]}],
        },
        "stages": {
            "labels": [row["label"] for row in win_loss["by_stage"]],
            "datasets": [
                {"label": _("Won"), "data": [row["won_count"] for row in win_loss["by_stage"]]},
                {"label": _("Lost"), "data": [row["lost_count"] for row in win_loss["by_stage"]]},
            ],
        },
    }
    return {"win_loss": win_loss, "charts": charts}


def _sales_cycle_page(user, filters: dict, sort: str) -> dict:
    statistics = _cycle_statistics(user, filters)
    stages = statistics["stages"] if statistics else []
    chart = {
        "labels": [f"{row['stage']} {row['description']}" for row in stages],
        "datasets": [
            {"label": _("Opportunities that reached the stage"), "data": [row["reached_count"] for row in stages]}
        ],
    }
    return {"statistics": statistics, "charts": {"funnel": chart}}


# ``?report=`` → the function that computes that tab's figures and charts (and nothing else).
PAGE_BUILDERS = {
    "forecast": _forecast_page,
    "salespeople": _salespeople_page,
    "win-loss": _win_loss_page,
    "sales-cycle": _sales_cycle_page,
}


def _stage_label(row: dict) -> str:
    if row["stage"] is None:
        return f"{row['sales_cycle']} – {_('not started')}"
    return f"{row['sales_cycle']} {row['stage']} {row['description']}"


@require_safe
def reports_page(request):
    user = request.user
    manager = is_manager(user)
    form = ReportFilterForm(request.GET, manager=manager)
    if request.GET.get("format") == "csv":
        return _download(request, form)
    report = request.GET.get("report") or DEFAULT_REPORT
    if report not in PAGE_BUILDERS:
        report = DEFAULT_REPORT  # an old or mistyped link still shows a report
    context = {
        "form": form,
        "is_manager": manager,
        "has_pipeline": manager or salesperson_of(user) is not None,
        "report": report,
        "report_label": dict(REPORT_TABS)[report],
        "tabs": [{"report": key, "label": label, "current": key == report} for key, label in REPORT_TABS],
    }
    if not form.is_valid():
        return render(request, "reports/reports.html", context, status=400)
    figures = PAGE_BUILDERS[report](user, _filters(form), request.GET.get("sort", ""))
    figures["charts"]["currency"] = settings.CRM_CURRENCY
    context.update(figures)
    return render(request, "reports/reports.html", context)


# --- CSV ---------------------------------------------------------------------------------------------


def _text(value) -> str:
    return "" if value is None else neutralise(str(value))


def _forecast_csv(user, filters) -> list[list]:
    rows = [[_("Month"), _("Open"), _("Estimated sales value"), _("Weighted value"), _("Won"), _("Won value")]]
    for month in reports.forecast(user=user, **filters):
        rows.append(
            [
                f"{month['month']:%Y-%m}",
                month["open_count"],
                month["estimated_value"],
                month["weighted_value"],
                month["won_count"],
                month["won_value"],
            ]
        )
    return rows


def _salespeople_csv(user, filters) -> list[list]:
    rows = [
        [
            _("Salesperson code"),
            _("Salesperson name"),
            _("Open"),
            _("Estimated sales value"),
            _("Weighted value"),
            _("Won"),
            _("Won value"),
            _("Lost"),
            _("Win rate %"),
            _("Average days to close"),
        ]
    ]
    for row in reports.salespeople_statistics(user=user, **filters):
        rows.append(
            [
                _text(row["salesperson"]),
                _text(row["name"]),
                row["open_count"],
                row["estimated_value"],
                row["weighted_value"],
                row["won_count"],
                row["won_value"],
                row["lost_count"],
                _text(row["win_rate_pct"]),
                _text(row["average_days_to_close"]),
            ]
        )
    return rows


def _win_loss_csv(user, filters) -> list[list]:
    figures = reports.win_loss(user=user, **filters)
    rows = [[_("Close code"), _("Description"), _("Type"), _("Opportunities"), _("Value")]]
    for row in figures["by_close_code"]:
        rows.append([_text(row["close_code"]), _text(row["description"]), row["type"], row["count"], row["value"]])
    rows.append([])
    rows.append([_("Sales cycle"), _("Stage"), _("Stage description"), _("Won"), _("Lost")])
    for row in figures["by_stage"]:
        rows.append(
            [
                _text(row["sales_cycle"]),
                _text(row["stage"]),
                _text(row["description"]),
                row["won_count"],
                row["lost_count"],
            ]
        )
    return rows


def _sales_cycle_csv(user, filters) -> list[list]:
    statistics = _cycle_statistics(user, filters)
    rows = [
        [
            _("Sales cycle"),
            _("Stage"),
            _("Stage description"),
            _("Open"),
            _("Estimated sales value"),
            _("Weighted value"),
            _("Average days in stage"),
            _("Reached"),
        ]
    ]
    for row in statistics["stages"] if statistics else []:
        rows.append(
            [
                _text(statistics["sales_cycle"]),
                row["stage"],
                _text(row["description"]),
                row["open_count"],
                row["estimated_value"],
                row["calculated_current_value"],
                _text(row["average_days"]),
                row["reached_count"],
            ]
        )
    return rows


CSV_BUILDERS = {
    "forecast": _forecast_csv,
    "salespeople": _salespeople_csv,
    "win-loss": _win_loss_csv,
    "sales-cycle": _sales_cycle_csv,
}


def _download(request, form: ReportFilterForm):
    report = request.GET.get("report", "")
    if report not in CSV_BUILDERS or not form.is_valid():
        return HttpResponseBadRequest(_("Unknown report or invalid filter."), content_type="text/plain; charset=utf-8")
    buffer = io.StringIO()
    # A byte order mark, so that spreadsheet programs read the file as UTF-8.
    buffer.write("\ufeff")
    csv.writer(buffer).writerows(CSV_BUILDERS[report](request.user, _filters(form)))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"{report}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("reports/", reports_page, name="reports"),
]
