"""Filters and sorting of the opportunity list in the browser (and of its CSV export).

The semantics follow the API's ``OpportunityFilter`` (codes for the sales cycle and the
salesperson, stage numbers within a cycle); the fields are those a person fills in a form.
"""

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contacts.models import Salesperson
from opportunities.models import Opportunity
from opportunities.permissions import is_manager
from salescycles.models import Priority, SalesCycle, SalesCycleStage

MAX_SEARCH_LENGTH = 200

OPEN = "open"
CLOSED = "closed"

# Sort keys a column header may ask for → the ordering they mean. Anything else is ignored, so a
# query string cannot order by (and so probe) a field the list does not show.
SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "no": ("no",),
    "description": ("description",),
    "contact": ("contact__name",),
    "salesperson": ("salesperson__name",),
    "stage": ("sales_cycle__code", "current_stage__stage"),
    "value": ("estimated_value",),
    "weighted": ("calculated_current_value",),
    "probability": ("probability_pct",),
    "closing": ("estimated_closing_date",),
}
DEFAULT_SORT = "-no"


def parse_sort(value: str | None) -> tuple[str, bool]:
    """``"-value"`` → ``("value", True)``; an unknown key falls back to the default order."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in SORT_FIELDS:
        return DEFAULT_SORT.lstrip("-"), DEFAULT_SORT.startswith("-")
    return key, descending


def apply_sort(queryset: QuerySet, value: str | None) -> QuerySet:
    key, descending = parse_sort(value)
    prefix = "-" if descending else ""
    ordering = [f"{prefix}{field}" for field in SORT_FIELDS[key]]
    # A unique last term: rows that tie must keep one order, or pages repeat or skip rows.
    if key != "no":
        ordering.append(f"{prefix}no")
    return queryset.order_by(*ordering)


class OpportunityListFilter(filters.FilterSet):
    search = filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=MAX_SEARCH_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("No., description or contact")}),
    )
    status = filters.ChoiceFilter(
        label=_("Status"),
        empty_label=_("All"),
        choices=[(OPEN, _("Open")), (CLOSED, _("Closed")), *Opportunity.Status.choices],
        method="filter_status",
    )
    sales_cycle = filters.ModelChoiceFilter(
        label=_("Sales cycle"),
        empty_label=_("All"),
        queryset=SalesCycle.objects.order_by("code"),
        to_field_name="code",
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )
    stage = filters.ChoiceFilter(label=_("Stage"), empty_label=_("All"), choices=[], field_name="current_stage__stage")
    salesperson = filters.ModelChoiceFilter(
        label=_("Salesperson"),
        empty_label=_("All"),
        queryset=Salesperson.objects.order_by("name"),
        to_field_name="code",
    )
    priority = filters.ChoiceFilter(label=_("Priority"), empty_label=_("All"), choices=Priority.choices)
    closing_from = filters.DateFilter(
        label=_("Closing date from"),
        field_name="estimated_closing_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    closing_to = filters.DateFilter(
        label=_("Closing date to"),
        field_name="estimated_closing_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    value_min = filters.NumberFilter(
        label=_("Estimated value from"),
        field_name="estimated_value",
        lookup_expr="gte",
        min_value=0,
        max_digits=18,
        decimal_places=2,
    )
    value_max = filters.NumberFilter(
        label=_("Estimated value to"),
        field_name="estimated_value",
        lookup_expr="lte",
        min_value=0,
        max_digits=18,
        decimal_places=2,
    )

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        # Reps see their own opportunities only: a salesperson filter would be noise to them.
        if not is_manager(user):
            del self.filters["salesperson"]
        # Stage numbers mean something within one cycle only: offer the stages of the chosen one.
        cycle_code = (data or {}).get("sales_cycle") or ""
        stages = SalesCycleStage.objects.filter(sales_cycle__code=cycle_code).order_by("stage") if cycle_code else []
        self.filters["stage"].extra["choices"] = [
            (str(stage.stage), f"{stage.stage} – {stage.description}") for stage in stages
        ]
        self.has_stage_choices = bool(self.filters["stage"].extra["choices"])

    @property
    def form(self):
        form = super().form
        if not self.has_stage_choices:
            form.fields["stage"].disabled = True
            form.fields["stage"].help_text = _("Choose a sales cycle first.")
        return form

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(no__icontains=value) | Q(description__icontains=value) | Q(contact__name__icontains=value)
        )

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(closed=False)
        if value == CLOSED:
            return queryset.filter(closed=True)
        return queryset.filter(status=value)
