"""Views: the opportunity list and its CSV export (see opportunities/urls.py).

Both read ``Opportunity.objects.visible_to(user)`` through the same filters and sort, so the
export holds exactly the rows the list shows (all pages), and each costs a fixed number of
queries whatever the number of rows.
"""

import csv
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.markup import fill
from common.spreadsheet import neutralise
from common.templatetags.crm import amount, percent
from opportunities.filters import SORT_FIELDS, OpportunityListFilter, apply_sort, parse_sort
from opportunities.models import Opportunity
from opportunities.views import url_with_no
from salescycles.lookups import setup_names

PAGE_SIZE = 50
EXPORT_CHUNK_SIZE = 2000


def _filtered(request, queryset) -> tuple[OpportunityListFilter, object]:
    filterset = OpportunityListFilter(request.GET or None, queryset=queryset, user=request.user)
    return filterset, apply_sort(filterset.qs, request.GET.get("sort"))


def _columns(sort_key: str, descending: bool) -> list[dict]:
    labels = {
        "no": _("No."),
        "description": _("Description"),
        "contact": _("Contact"),
        "salesperson": _("Salesperson"),
        "stage": _("Stage"),
        "value": _("Estimated value"),
        "weighted": _("Weighted value"),
        "probability": _("Probability %"),
        "closing": _("Estimated closing date"),
    }
    numeric = {"value", "weighted", "probability"}
    columns = []
    for key in SORT_FIELDS:
        current = key == sort_key
        # A click on the sorted column reverses it; a click elsewhere sorts ascending.
        next_sort = f"-{key}" if current and not descending else key
        columns.append(
            {
                "key": key,
                "label": labels[key],
                "sort": next_sort,
                "aria_sort": ("descending" if descending else "ascending") if current else None,
                "numeric": key in numeric,
            }
        )
    return columns


# One row of the list; ``_rows`` fills it in with ``common.markup.fill`` (each value escaped, as
# the template language would): written out per row in the template, its twenty-odd variables and
# conditions were a third of the page's time at 50 rows.
ROW_HTML = """      <tr>
        <th scope="row"><a href="{detail_url}">{no}</a></th>
        <td class="description"><a href="{detail_url}">{description}</a></td>
        <td>{contact}<br><small class="muted">{contact_no}</small></td>
        <td>{salesperson}</td>
        <td>{stage}<br><small class="muted">{cycle}</small></td>
        <td class="num">{estimated}</td>
        <td class="num">{weighted}</td>
        <td class="num">{probability}</td>
        <td{overdue}>{closing}</td>
        <td><span class="status status-{status}">{status_label}</span>{priority}</td>
      </tr>
"""
NO_STAGE = mark_safe('<span class="muted">—</span>')
OVERDUE = mark_safe(' class="overdue"')


ROW_COLUMNS = (
    "no",
    "description",
    "contact__name",
    "contact__no",
    "salesperson__name",
    "current_stage_id",
    "sales_cycle_id",
    "estimated_value",
    "calculated_current_value",
    "probability_pct",
    "estimated_closing_date",
    "closed",
    "status",
    "priority",
)
STAGE_AT, CYCLE_AT = ROW_COLUMNS.index("current_stage_id"), ROW_COLUMNS.index("sales_cycle_id")


@dataclass(frozen=True, slots=True)
class ListRow:
    """A row of the page: what identifies it, and its HTML (which the template prints)."""

    no: str
    description: str
    html: SafeString

    def __html__(self) -> str:
        return self.html

    __str__ = __html__  # the template language prints str(row)


def _rows(page_queryset) -> list[ListRow]:
    """The HTML of each row of the page, read as plain values (no model instances) and with its
    texts formatted once per distinct value."""
    detail_url = url_with_no("opportunities:detail")
    today = timezone.localdate()
    statuses = {value: str(label) for value, label in Opportunity.Status.choices}  # translated once
    high_priority = format_html(' <span class="priority-high">{}</span>', _("High priority"))
    dates = {}
    values = list(page_queryset.values_list(*ROW_COLUMNS))
    names = setup_names(page_queryset.db, cycles={v[CYCLE_AT] for v in values}, stages={v[STAGE_AT] for v in values})
    stages = {pk: fill("{no} – {text}", no=no, text=text) for pk, (no, text) in names.stages.items()}
    rows = []
    for (
        no,
        description,
        contact,
        contact_no,
        salesperson,
        stage_id,
        cycle_id,
        estimated,
        weighted,
        probability,
        date,
        closed,
        status,
        priority,
    ) in values:
        if date is not None and date not in dates:
            dates[date] = date_format(date, "SHORT_DATE_FORMAT")
        html = fill(
            ROW_HTML,
            detail_url=detail_url(no),
            no=no,
            description=description,
            contact=contact,
            contact_no=contact_no,
            salesperson=salesperson,
            stage=stages[stage_id] if stage_id is not None else NO_STAGE,
            cycle=names.cycles[cycle_id],
            estimated=amount(estimated),
            weighted=amount(weighted),
            probability=percent(probability),
            overdue=OVERDUE if not closed and date is not None and date < today else "",
            closing=dates.get(date, ""),
            status=status,
            status_label=statuses.get(status, status),
            priority=high_priority if priority == "high" else "",
        )
        rows.append(ListRow(no, description, html))
    return rows


@require_safe
def opportunity_list(request):
    filterset, queryset = _filtered(request, Opportunity.objects.visible_to(request.user))
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = _rows(page.object_list)
    sort_key, descending = parse_sort(request.GET.get("sort"))
    context = {
        "filter": filterset,
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "columns": _columns(sort_key, descending),
        "is_filtered": any(value for key, value in request.GET.items() if key not in {"page", "sort"}),
    }
    return render(request, "opportunities/list.html", context)


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _plain(value) -> str:
    return "" if value is None else str(value)


def _csv_row(opportunity: Opportunity) -> list[str]:
    stage = opportunity.current_stage
    return [
        opportunity.no,
        neutralise(opportunity.description),
        opportunity.contact.no,
        neutralise(opportunity.contact.name),
        opportunity.salesperson.code,
        neutralise(opportunity.salesperson.name),
        opportunity.sales_cycle.code,
        "" if stage is None else str(stage.stage),
        "" if stage is None else neutralise(stage.description),
        str(opportunity.get_status_display()),
        str(opportunity.get_priority_display()),
        _plain(opportunity.estimated_value),
        _plain(opportunity.chances_of_success_pct),
        _plain(opportunity.probability_pct),
        _plain(opportunity.calculated_current_value),
        _plain(opportunity.estimated_closing_date),
        _plain(opportunity.creation_date),
        _plain(opportunity.date_closed),
    ]


def _csv_header() -> list[str]:
    return [
        _("No."),
        _("Description"),
        _("Contact no."),
        _("Contact name"),
        _("Salesperson code"),
        _("Salesperson name"),
        _("Sales cycle"),
        _("Stage"),
        _("Stage description"),
        _("Status"),
        _("Priority"),
        _("Estimated sales value"),
        _("Chances of success %"),
        _("Probability %"),
        _("Weighted value"),
        _("Estimated closing date"),
        _("Creation date"),
        _("Date closed"),
    ]


@require_safe
def opportunity_export(request):
    _filterset, queryset = _filtered(request, Opportunity.objects.visible_to(request.user).for_export())
    writer = csv.writer(_Echo())
    header = _csv_header()
    language = translation.get_language()

    def rows():
        # A byte order mark, so that spreadsheet programs read the file as UTF-8.
        yield "\ufeff" + writer.writerow(header)
        # The rows are produced after the view has returned: keep the request's language.
        with translation.override(language):
            for opportunity in queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE):
                yield writer.writerow(_csv_row(opportunity))

    filename = f"opportunities-{timezone.localdate().isoformat()}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("opportunities/", opportunity_list, name="list"),
    path("opportunities/export.csv", opportunity_export, name="export"),
]
