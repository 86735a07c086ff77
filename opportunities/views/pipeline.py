"""Views: the pipeline board (see opportunities/urls.py).

A column per stage of one sales cycle plus "Not started". The column figures come from one
aggregate query; the first cards of every column from one query (a window function numbers the
cards within their column), and each further page of a column from one more query, so the board
costs the same number of queries with 3 or 30,000 open opportunities.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django import forms
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.markup import fill
from common.templatetags.crm import money, percent
from contacts.forms import SalespersonChoiceField
from contacts.models import Salesperson
from opportunities.models import Opportunity
from opportunities.permissions import is_manager
from opportunities.services import default_sales_cycle
from opportunities.views import url_with_no
from salescycles.models import Priority, SalesCycle

PAGE_SIZE = 20
NOT_STARTED = "new"
Status = Opportunity.Status


class BoardFilterForm(forms.Form):
    salesperson = SalespersonChoiceField(
        label=_("Salesperson"), queryset=Salesperson.objects.none(), required=False, empty_label=_("All")
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", _("All")), *Priority.choices], required=False)
    month = forms.DateField(
        label=_("Closing month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if manager:
            self.fields["salesperson"].queryset = Salesperson.objects.order_by("name")
        else:
            del self.fields["salesperson"]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("salesperson"):
            queryset = queryset.filter(salesperson=data["salesperson"])
        if data.get("priority"):
            queryset = queryset.filter(priority=data["priority"])
        if data.get("month"):
            start = data["month"].replace(day=1)
            end = (start + datetime.timedelta(days=32)).replace(day=1)
            queryset = queryset.filter(estimated_closing_date__gte=start, estimated_closing_date__lt=end)
        if data.get("q"):
            term = data["q"].strip()
            queryset = queryset.filter(
                Q(no__icontains=term) | Q(description__icontains=term) | Q(contact__name__icontains=term)
            )
        return queryset


def _cycle(code: str | None) -> SalesCycle:
    if code:
        return get_object_or_404(SalesCycle, code=code)
    cycle = default_sales_cycle() or SalesCycle.objects.usable().order_by("code").first()
    if cycle is None:
        raise Http404("no sales cycle")
    return cycle


def _open_on_board(request, cycle: SalesCycle, filters: BoardFilterForm):
    queryset = Opportunity.objects.visible_to(request.user).filter(
        sales_cycle=cycle, status__in=[Status.NOT_STARTED, Status.IN_PROGRESS]
    )
    return filters.apply(queryset)


def _card_order():
    return [F("estimated_closing_date").asc(nulls_last=True), F("id").asc()]


def _column_key(stage_id) -> str:
    return NOT_STARTED if stage_id is None else str(stage_id)


# One card of the board; ``_prepared`` fills it in with ``common.markup.fill`` (each value
# escaped, as the template language would). Written out per card in a template, its twenty-odd variables
# were most of the board's time at 140 cards; ``pipeline/cards.html`` prints the result.
CARD_HTML = """<li class="opp-card priority-{priority}" draggable="true" data-card data-status="{status}" \
data-index="{index}"
    data-update-url="{update_url}" data-activate-url="{activate_url}" data-no="{no}">
  <div class="card-top"><a href="{detail_url}" class="card-no">{no}</a>
    <span class="card-priority">{priority_label}</span></div>
  <p class="card-description">{description}</p>
  <p class="card-meta">{contact}{company}</p>
  <p class="card-meta">{salesperson}</p>
  <p class="card-figures"><span>{estimated}</span> <span>{probability}</span></p>
  <p class="card-meta">{closing}</p>
  <a class="button small" href="{move_url}" hx-get="{move_url}" hx-target="#dialog-host" data-move>{move_label}\
<span class="visually-hidden"> {no}</span></a>
</li>"""


CARD_COLUMNS = (
    "no",
    "priority",
    "status",
    "current_stage_id",
    "description",
    "contact_id",
    "contact__name",
    "contact_company_id",
    "contact_company__name",
    "salesperson__name",
    "estimated_value",
    "probability_pct",
    "estimated_closing_date",
)


@dataclass(frozen=True, slots=True)
class Card:
    """A card of the board: its number, its column (stage id, None: not started) and its HTML."""

    no: str
    stage_id: int | None
    html: SafeString


def _prepared(opportunities, board_url: str, column_index: dict) -> list[Card]:
    """The cards of ``opportunities`` (a queryset, ordered and sliced), read as plain values.

    Each URL comes from one reversed pattern with the number put in, the priority labels and
    closing dates are formatted once per distinct value, and the words every card repeats are
    translated once. ``column_index`` maps a stage id (``None``: not started) to its column's index.
    """
    urls = {name: url_with_no(f"opportunities:{name}") for name in ("detail", "update", "activate")}
    move_query = "?" + urlencode({"action": "next", "next": board_url}, quote_via=quote)
    today = timezone.localdate()
    priorities = {value: str(label) for value, label in Priority.choices}
    labels = {
        "closing": gettext("Closing"),
        "overdue": gettext("overdue"),
        "activate": gettext("Activate…"),
        "move": gettext("Move…"),
    }
    closing = {}
    cards = []
    for (
        no,
        priority,
        status,
        stage_id,
        description,
        contact_id,
        contact,
        company_id,
        company,
        salesperson,
        estimated,
        probability,
        date,
    ) in opportunities.values_list(*CARD_COLUMNS):
        update_url = urls["update"](no)
        activate_url = urls["activate"](no)
        started = status != Status.NOT_STARTED
        if date not in closing:
            closing[date] = (
                ""
                if date is None
                else format_html(
                    '{} <time datetime="{}">{}</time>{}',
                    labels["closing"],
                    date.isoformat(),
                    date_format(date, "SHORT_DATE_FORMAT"),
                    format_html(' <span class="badge overdue">{}</span>', labels["overdue"]) if date < today else "",
                )
            )
        html = fill(
            CARD_HTML,
            priority=priority,
            status=status,
            index=column_index[stage_id],
            update_url=update_url,
            activate_url=activate_url,
            no=no,
            detail_url=urls["detail"](no),
            priority_label=priorities.get(priority, priority),
            description=description,
            contact=contact,
            company=fill(" · {name}", name=company) if company_id != contact_id else "",
            salesperson=salesperson,
            estimated=money(estimated),
            probability=percent(probability),
            closing=closing[date],
            move_url=(update_url if started else activate_url) + move_query,
            move_label=labels["move"] if started else labels["activate"],
        )
        cards.append(Card(no, stage_id, html))
    return cards


def board(request, code: str | None = None):
    cycle = _cycle(code or request.GET.get("cycle"))
    manager = is_manager(request.user)
    filters = BoardFilterForm(request.GET or None, manager=manager)
    stages = list(cycle.stages.order_by("stage"))
    opportunities = _open_on_board(request, cycle, filters)

    # One aggregate query for the figures of all columns ("Not started" is the null stage).
    totals = {
        _column_key(row["current_stage"]): row
        for row in opportunities.order_by()
        .values("current_stage")
        .annotate(count=Count("id"), estimated=Sum("estimated_value"), weighted=Sum("calculated_current_value"))
    }
    # The first page of every column in two queries: the window numbers the cards of the
    # opportunity table alone (an index-only scan in card order, opportunities_0004), and only the
    # cards it keeps are read with their contact, company and salesperson. As one query (the window
    # in a subquery) PostgreSQL could not tell that it keeps a few cards, and joined the contacts of
    # all 31,000 open opportunities of the largest cycle first (85 ms against 8).
    first_ids = list(
        opportunities.annotate(
            position=Window(RowNumber(), partition_by=[F("current_stage")], order_by=_card_order()),
        )
        .filter(position__lte=PAGE_SIZE)
        .order_by()  # in any order: the cards' query orders them
        .values_list("pk", flat=True)
    )
    first_cards = Opportunity.objects.filter(pk__in=first_ids).order_by("current_stage_id", *_card_order())
    cards_by_column: dict[str, list] = {}
    column_index = {None: -1} | {stage.pk: index for index, stage in enumerate(stages)}
    for card in _prepared(first_cards, request.get_full_path(), column_index):
        cards_by_column.setdefault(_column_key(card.stage_id), []).append(card)

    columns = [{"key": NOT_STARTED, "stage": None, "index": -1}] + [
        {"key": str(stage.pk), "stage": stage, "index": index} for index, stage in enumerate(stages)
    ]
    for column in columns:
        figures = totals.get(column["key"], {})
        column["count"] = figures.get("count", 0)
        column["estimated"] = figures.get("estimated") or 0
        column["weighted"] = figures.get("weighted") or 0
        column["cards"] = cards_by_column.get(column["key"], [])
        column["more"] = column["count"] > len(column["cards"])
        column["next_page"] = 2
    return render(
        request,
        "pipeline/board.html",
        {
            "cycle": cycle,
            "cycles": SalesCycle.objects.usable().order_by("code") if not cycle.blocked else SalesCycle.objects.all(),
            "columns": columns,
            "filters": filters,
            "query": request.GET.urlencode(),
            "board_url": request.get_full_path(),
            "first_stage_no": stages[0].stage if stages else None,
        },
    )


def _stage_index(cycle: SalesCycle, stage) -> int:
    return cycle.stages.filter(stage__lt=stage.stage).count()


def column(request, code: str, key: str):
    """One more page of a column's cards (htmx "Show more")."""
    cycle = get_object_or_404(SalesCycle, code=code)
    filters = BoardFilterForm(request.GET or None, manager=is_manager(request.user))
    opportunities = _open_on_board(request, cycle, filters)
    if key == NOT_STARTED:
        opportunities = opportunities.filter(current_stage__isnull=True)
    else:
        stage = get_object_or_404(cycle.stages, pk=key)
        opportunities = opportunities.filter(current_stage=stage)
    try:
        page = max(int(request.GET.get("page", "2")), 1)
    except ValueError:
        page = 2
    start = (page - 1) * PAGE_SIZE
    params = request.GET.copy()
    params.pop("page", None)
    board_url = reverse("opportunities:board", args=[cycle.code]) + (f"?{params.urlencode()}" if params else "")
    # One row more than a page tells whether there is a further page, without a COUNT.
    index = {None: -1} if key == NOT_STARTED else {stage.pk: _stage_index(cycle, stage)}
    cards = _prepared(opportunities.order_by(*_card_order())[start : start + PAGE_SIZE + 1], board_url, index)
    more = len(cards) > PAGE_SIZE
    return render(
        request,
        "pipeline/cards.html",
        {
            "cycle": cycle,
            "column": {
                "key": key,
                "cards": cards[:PAGE_SIZE],
                "more": more,
                "next_page": page + 1,
            },
            "query": params.urlencode(),
            "board_url": board_url,
        },
    )


urlpatterns = [
    path("pipeline/", board, name="board"),
    path("pipeline/<str:code>/", board, name="board"),
    path("pipeline/<str:code>/column/<str:key>/", column, name="board_column"),
]
