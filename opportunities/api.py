"""REST API for opportunities, their lifecycle commands, history, quote, and tasks (SPEC §7).

Views fetch through ``visible_to(request.user)`` (an invisible opportunity is a 404), validate
the input with a small serializer, call ``opportunities.services`` and answer with the output
serializer. Figures and state are read-only here: they change only through the commands.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from common.api import FilterListsOnlyMixin, IsStaffMember, RowsListMixin, StrictFieldsMixin
from common.filters import FilterBackend, SearchFilter
from common.validators import MAX_AMOUNT, MAX_QUANTITY
from contacts.models import Contact, Salesperson
from opportunities import api_rows, reports, services
from opportunities.api_rows import opportunity_rows
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, Task
from salescycles.models import CloseOpportunityCode, Priority, SalesCycle, TaskType

MAX_STAGE = 2_147_483_647
NO_PARAMETER = OpenApiParameter("no", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. OP000001")


class StageNumberField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_STAGE)
        super().__init__(**kwargs)


def _amount(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, max_value=MAX_AMOUNT, **kwargs)


def _percent(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, **kwargs)


# --- output ----------------------------------------------------------------------------------


class OpportunitySerializer(serializers.ModelSerializer):
    contact = serializers.SlugRelatedField(slug_field="no", read_only=True)
    contact_company = serializers.SlugRelatedField(slug_field="no", read_only=True)
    salesperson = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sales_cycle = serializers.SlugRelatedField(slug_field="code", read_only=True)
    close_code = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    current_stage = serializers.SerializerMethodField(help_text="The stage number, null when not in progress.")
    current_stage_description = serializers.SerializerMethodField()

    class Meta:
        model = Opportunity
        fields = list(api_rows.FIELDS)  # the list and the detail are written from rows (api_rows)
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_current_stage(self, obj) -> int | None:
        return obj.current_stage.stage if obj.current_stage_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_current_stage_description(self, obj) -> str | None:
        return obj.current_stage.description if obj.current_stage_id else None


class OpportunityEntrySerializer(serializers.ModelSerializer):
    entry_no = serializers.IntegerField(source="id", read_only=True)
    stage = serializers.SlugRelatedField(slug_field="stage", read_only=True, allow_null=True)
    previous_stage = serializers.SlugRelatedField(slug_field="stage", read_only=True, allow_null=True)
    close_code = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    salesperson = serializers.SlugRelatedField(slug_field="code", read_only=True)
    contact = serializers.SlugRelatedField(slug_field="no", read_only=True)

    class Meta:
        model = OpportunityEntry
        fields = [
            "entry_no",
            "stage",
            "previous_stage",
            "action_taken",
            "date_of_change",
            "active",
            "days_open",
            "date_closed",
            "estimated_value",
            "chances_of_success_pct",
            "completed_pct",
            "probability_pct",
            "calculated_current_value",
            "estimated_close_date",
            "close_code",
            "salesperson",
            "contact",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class QuoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuoteLine
        fields = ["line_no", "description", "quantity", "unit_price", "discount_pct", "amount"]
        read_only_fields = fields


class QuoteSerializer(serializers.ModelSerializer):
    opportunity = serializers.SlugRelatedField(slug_field="no", read_only=True)
    lines = QuoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = ["no", "opportunity", "quote_date", "valid_until", "total", "lines", "created_at", "updated_at"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    salesperson = serializers.SlugRelatedField(slug_field="code", read_only=True)
    contact = serializers.SlugRelatedField(slug_field="no", read_only=True, allow_null=True)
    opportunity = serializers.SlugRelatedField(slug_field="no", read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "no",
            "type",
            "description",
            "date",
            "priority",
            "status",
            "closed",
            "canceled",
            "date_closed",
            "salesperson",
            "contact",
            "opportunity",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- input -----------------------------------------------------------------------------------


class EstimatesInput(StrictFieldsMixin, serializers.Serializer):
    date_of_change = serializers.DateField(required=False)
    estimated_value = _amount(required=False)
    chances_of_success_pct = _percent(required=False)
    estimated_close_date = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class OpportunityCreateInput(EstimatesInput):
    description = serializers.CharField(max_length=100)
    contact = serializers.SlugRelatedField(slug_field="no", queryset=Contact.objects.all())
    salesperson = serializers.SlugRelatedField(slug_field="code", queryset=Salesperson.objects.all(), required=False)
    sales_cycle = serializers.SlugRelatedField(slug_field="code", queryset=SalesCycle.objects.all(), required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    activate_first_stage = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if not attrs["activate_first_stage"]:
            given = [name for name in EstimatesInput._declared_fields if name in attrs]
            if given:
                message = _("Only used when the first stage is activated (activate_first_stage).")
                raise ValidationError({name: [message] for name in given})
        return attrs


class OpportunityChangeInput(StrictFieldsMixin, serializers.Serializer):
    unknown_field_message = gettext_lazy(
        "This field cannot be changed here; figures and status change through activate/, update-stage/ and close/."
    )

    description = serializers.CharField(max_length=100, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    salesperson = serializers.SlugRelatedField(slug_field="code", queryset=Salesperson.objects.all(), required=False)
    contact = serializers.SlugRelatedField(slug_field="no", queryset=Contact.objects.all(), required=False)
    sales_cycle = serializers.SlugRelatedField(slug_field="code", queryset=SalesCycle.objects.all(), required=False)


class ActivateInput(EstimatesInput):
    pass


class UpdateStageInput(EstimatesInput):
    action = serializers.ChoiceField(choices=services.UpdateAction.ALL)
    stage = StageNumberField(required=False, help_text="The target stage number, for skip and jump.")
    cancel_open_tasks = serializers.BooleanField(default=False)


class CloseInput(StrictFieldsMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("won", "won"), ("lost", "lost")])
    close_code = serializers.SlugRelatedField(slug_field="code", queryset=CloseOpportunityCode.objects.all())
    date_closed = serializers.DateField(required=False)
    sales_amount = _amount(required=False)
    cancel_open_tasks = serializers.BooleanField(default=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class QuoteLineInput(StrictFieldsMixin, serializers.Serializer):
    description = serializers.CharField(max_length=100)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, min_value=0, max_value=MAX_QUANTITY)
    unit_price = _amount()
    discount_pct = _percent(default=0)


class QuoteInput(StrictFieldsMixin, serializers.Serializer):
    quote_date = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    lines = QuoteLineInput(many=True, allow_empty=False, max_length=500)


class TaskCreateInput(StrictFieldsMixin, serializers.Serializer):
    description = serializers.CharField(max_length=100)
    date = serializers.DateField()
    type = serializers.ChoiceField(choices=TaskType.choices, default=TaskType.TASK)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    salesperson = serializers.SlugRelatedField(slug_field="code", queryset=Salesperson.objects.all(), required=False)
    contact = serializers.SlugRelatedField(slug_field="no", queryset=Contact.objects.all(), required=False)
    opportunity = serializers.CharField(required=False, help_text="The opportunity's no.")


class TaskChangeInput(StrictFieldsMixin, serializers.Serializer):
    description = serializers.CharField(max_length=100, required=False)
    date = serializers.DateField(required=False)
    type = serializers.ChoiceField(choices=TaskType.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    contact = serializers.SlugRelatedField(slug_field="no", queryset=Contact.objects.all(), required=False)


# --- filters ---------------------------------------------------------------------------------


class StageNumberFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_STAGE)
        super().__init__(*args, **kwargs)


class OpportunityFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Opportunity.Status.choices)
    salesperson = filters.CharFilter(field_name="salesperson__code", max_length=20)
    sales_cycle = filters.CharFilter(field_name="sales_cycle__code", max_length=20)
    current_stage = StageNumberFilter(field_name="current_stage__stage")
    contact = filters.CharFilter(field_name="contact__no", max_length=20)
    contact_company = filters.CharFilter(field_name="contact_company__no", max_length=20)
    priority = filters.ChoiceFilter(choices=Priority.choices)
    closed = filters.BooleanFilter()
    estimated_closing_date = filters.DateFromToRangeFilter()

    class Meta:
        model = Opportunity
        fields = []


class TaskFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Task.Status.choices)
    type = filters.ChoiceFilter(choices=TaskType.choices)
    priority = filters.ChoiceFilter(choices=Priority.choices)
    closed = filters.BooleanFilter()
    salesperson = filters.CharFilter(field_name="salesperson__code", max_length=20)
    contact = filters.CharFilter(field_name="contact__no", max_length=20)
    opportunity = filters.CharFilter(field_name="opportunity__no", max_length=20)
    date = filters.DateFromToRangeFilter()

    class Meta:
        model = Task
        fields = []


PRIORITY_RANK = Case(
    When(priority=Priority.LOW, then=Value(0)),
    When(priority=Priority.NORMAL, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class RankedOrderingFilter(OrderingFilter):
    """DRF's ``?ordering=``, with two corrections for paging integrations:

    * ``priority`` orders low < normal < high (``-priority``: high first), not alphabetically;
    * rows that tie on the requested fields keep the view's default order, which ends on a unique
      field: without it the database may order ties differently per page, and rows repeat or go missing.
    """

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        requested = {term.lstrip("-") for term in ordering}
        default = getattr(view, "ordering", None) or []
        default = [default] if isinstance(default, str) else default
        return ordering + [term for term in default if term.lstrip("-") not in requested]

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        if any(term.lstrip("-") == "priority" for term in ordering):
            queryset = queryset.alias(priority_rank=PRIORITY_RANK)
            ordering = [
                term.replace("priority", "priority_rank") if term.lstrip("-") == "priority" else term
                for term in ordering
            ]
        return queryset.order_by(*ordering)


FILTER_BACKENDS = [FilterBackend, SearchFilter, RankedOrderingFilter]


# --- views -----------------------------------------------------------------------------------


class StaffWritesMixin:
    """Everybody signed in reads (what they may see); sales staff and managers write."""

    def get_permissions(self):
        if self.request is not None and self.request.method not in SAFE_METHODS:
            return [IsAuthenticated(), IsStaffMember()]
        return [IsAuthenticated()]


@extend_schema_view(
    list=extend_schema(summary="List the opportunities visible to you"),
    retrieve=extend_schema(summary="One opportunity", parameters=[NO_PARAMETER]),
    create=extend_schema(
        summary="Create an opportunity (optionally activating its first stage)",
        request=OpportunityCreateInput,
        responses={201: OpportunitySerializer},
    ),
    partial_update=extend_schema(
        summary="Change description, priority, salesperson, contact or sales cycle",
        parameters=[NO_PARAMETER],
        request=OpportunityChangeInput,
        responses={200: OpportunitySerializer},
    ),
    destroy=extend_schema(summary="Delete (not started; closed ones by managers)", parameters=[NO_PARAMETER]),
    update=extend_schema(exclude=True),
)
class OpportunityViewSet(RowsListMixin, FilterListsOnlyMixin, StaffWritesMixin, viewsets.ModelViewSet):
    serializer_class = OpportunitySerializer
    lookup_field = "no"
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]
    filterset_class = OpportunityFilter
    filter_backends = FILTER_BACKENDS
    search_fields = ["no", "description", "contact__name", "contact_company__name"]
    ordering_fields = [
        "no",
        "description",
        "creation_date",
        "estimated_closing_date",
        "date_closed",
        "estimated_value",
        "calculated_current_value",
        "probability_pct",
        "priority",
        "status",
    ]
    ordering = ["-no"]
    list_rows = staticmethod(opportunity_rows)

    def get_queryset(self):
        visible = Opportunity.objects.visible_to(self.request.user)
        if self.action in (None, "list", "retrieve"):
            return visible
        # The other actions only find the opportunity among those visible: their services lock
        # and re-read it, and the answer is read afresh (_respond).
        return visible.only("pk", "no")

    def retrieve(self, request, *args, **kwargs):
        rows = opportunity_rows(self.get_queryset().filter(no=kwargs[self.lookup_field]))
        if not rows:
            raise Http404
        return Response(rows[0])

    def _respond(self, opportunity: Opportunity, status_code=status.HTTP_200_OK) -> Response:
        rows = opportunity_rows(Opportunity.objects.visible_to(self.request.user).filter(pk=opportunity.pk))
        if not rows:
            # Given away to another salesperson by this very change: the answer is no longer theirs to read.
            raise Http404
        return Response(rows[0], status=status_code)

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            # PUT on an opportunity is not offered (PATCH is); PUT is only for the quote.
            return Response(
                {"detail": _('Method "PUT" not allowed.'), "code": "method_not_allowed"},
                status=status.HTTP_405_METHOD_NOT_ALLOWED,
            )
        opportunity = self.get_object()
        data = self._input(OpportunityChangeInput)
        services.opportunity_change(opportunity=opportunity, user=request.user, **data)
        return self._respond(opportunity)

    def create(self, request, *args, **kwargs):
        data = self._input(OpportunityCreateInput)
        opportunity = services.opportunity_create(user=request.user, **data)
        return self._respond(opportunity, status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.opportunity_delete(opportunity=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Activate the first stage",
        parameters=[NO_PARAMETER],
        request=ActivateInput,
        responses={200: OpportunitySerializer},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, no=None):
        opportunity = self.get_object()
        services.opportunity_activate(opportunity=opportunity, user=request.user, **self._input(ActivateInput))
        return self._respond(opportunity)

    @extend_schema(
        summary="Move to the next, previous, a later (skip) or earlier (jump) stage, or update the figures",
        parameters=[NO_PARAMETER],
        request=UpdateStageInput,
        responses={200: OpportunitySerializer},
    )
    @action(detail=True, methods=["post"], url_path="update-stage")
    def update_stage(self, request, no=None):
        opportunity = self.get_object()
        services.opportunity_update_stage(opportunity=opportunity, user=request.user, **self._input(UpdateStageInput))
        return self._respond(opportunity)

    @extend_schema(
        summary="Close as won or lost",
        parameters=[NO_PARAMETER],
        request=CloseInput,
        responses={200: OpportunitySerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, no=None):
        opportunity = self.get_object()
        services.opportunity_close(opportunity=opportunity, user=request.user, **self._input(CloseInput))
        return self._respond(opportunity)

    @extend_schema(
        summary="The history, oldest first",
        parameters=[NO_PARAMETER],
        responses={200: OpportunityEntrySerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[], ordering_fields=[])
    def entries(self, request, no=None):
        opportunity = self.get_object()
        entries = (
            OpportunityEntry.objects.filter(opportunity=opportunity)
            .select_related("stage", "previous_stage", "close_code", "salesperson", "contact")
            .order_by("id")
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(OpportunityEntrySerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"], summary="The quote with its lines", parameters=[NO_PARAMETER], responses={200: QuoteSerializer}
    )
    @extend_schema(
        methods=["PUT"],
        summary="Create the quote or replace it with these lines (while in progress)",
        parameters=[NO_PARAMETER],
        request=QuoteInput,
        responses={200: QuoteSerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Delete the quote (while in progress)",
        parameters=[NO_PARAMETER],
        responses={204: None},
    )
    @action(detail=True, methods=["get", "put", "delete"], filterset_class=None, search_fields=[], ordering_fields=[])
    def quote(self, request, no=None):
        opportunity = self.get_object()
        if request.method == "PUT":
            data = self._input(QuoteInput)
            services.quote_save(opportunity=opportunity, user=request.user, **data)
        elif request.method == "DELETE":
            services.quote_delete(opportunity=opportunity, user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        quote = get_object_or_404(
            Quote.objects.select_related("opportunity").prefetch_related(
                Prefetch("lines", queryset=QuoteLine.objects.order_by("line_no"))
            ),
            opportunity=opportunity,
        )
        return Response(QuoteSerializer(quote).data)

    def get_serializer_class(self):
        # Only for the browsable schema of generic views; actions name their serializers above.
        return OpportunitySerializer


TASK_NO = OpenApiParameter("no", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. TD000001")


@extend_schema_view(
    list=extend_schema(summary="List the tasks visible to you"),
    retrieve=extend_schema(summary="One task", parameters=[TASK_NO]),
    create=extend_schema(summary="Create a task", request=TaskCreateInput, responses={201: TaskSerializer}),
    partial_update=extend_schema(
        summary="Change a task (status completed closes it)",
        parameters=[TASK_NO],
        request=TaskChangeInput,
        responses={200: TaskSerializer},
    ),
)
class TaskViewSet(
    FilterListsOnlyMixin,
    StaffWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TaskSerializer
    lookup_field = "no"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = TaskFilter
    filter_backends = FILTER_BACKENDS
    search_fields = ["no", "description"]
    ordering_fields = ["date", "no", "priority", "status"]
    ordering = ["date", "no"]

    def get_queryset(self):
        return Task.objects.visible_to(self.request.user).select_related("salesperson", "contact", "opportunity")

    def _respond(self, task: Task, status_code=status.HTTP_200_OK) -> Response:
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = TaskCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "opportunity" in data:
            # An opportunity the user cannot see does not exist for them.
            visible = Opportunity.objects.visible_to(request.user).filter(no=data["opportunity"]).first()
            if visible is None:
                raise ValidationError({"opportunity": [_("Unknown opportunity.")]})
            data["opportunity"] = visible
        task = services.task_create(user=request.user, **data)
        return self._respond(task, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        task = self.get_object()
        serializer = TaskChangeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.task_update(task=task, user=request.user, **serializer.validated_data)
        return self._respond(task)


class SalesCycleStatisticsView(GenericAPIView):
    """``sales-cycles/{code}/statistics/`` (SPEC §4, §7): a rep gets the figures of their own opportunities."""

    queryset = SalesCycle.objects.all()
    lookup_field = "code"
    pagination_class = None
    filter_backends = []

    class QueryInput(serializers.Serializer):
        salesperson = serializers.SlugRelatedField(
            slug_field="code", queryset=Salesperson.objects.all(), required=False
        )
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

    @extend_schema(
        summary="Sales cycle statistics: open, won and lost figures, and per stage the funnel",
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH),
            QueryInput,
        ],
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "SalesCycleStatistics",
                    {
                        "sales_cycle": serializers.CharField(),
                        "open": inline_serializer(
                            "OpenFigures",
                            {
                                "count": serializers.IntegerField(),
                                "estimated_value": serializers.DecimalField(max_digits=18, decimal_places=2),
                                "calculated_current_value": serializers.DecimalField(max_digits=18, decimal_places=2),
                            },
                        ),
                        "won": inline_serializer(
                            "WonFigures",
                            {
                                "count": serializers.IntegerField(),
                                "value": serializers.DecimalField(max_digits=18, decimal_places=2),
                            },
                        ),
                        "lost": inline_serializer("LostFigures", {"count": serializers.IntegerField()}),
                        "stages": inline_serializer(
                            "StageFigures",
                            {
                                "stage": serializers.IntegerField(),
                                "description": serializers.CharField(),
                                "open_count": serializers.IntegerField(),
                                "estimated_value": serializers.DecimalField(max_digits=18, decimal_places=2),
                                "calculated_current_value": serializers.DecimalField(max_digits=18, decimal_places=2),
                                "average_days": serializers.FloatField(allow_null=True),
                                "reached_count": serializers.IntegerField(),
                            },
                            many=True,
                        ),
                    },
                )
            )
        },
    )
    def get(self, request, code=None):
        sales_cycle = self.get_object()
        query = self.QueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = reports.sales_cycle_statistics(sales_cycle=sales_cycle, user=request.user, **query.validated_data)
        return Response(self._as_strings(figures))

    @staticmethod
    def _as_strings(value):
        return _as_strings(value)


def _as_strings(value):
    """Decimals as JSON strings, like every amount of the API."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return {key: _as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_strings(item) for item in value]
    return value


def _decimal() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2)


class ReportQueryInput(serializers.Serializer):
    """The filters every report accepts (SPEC §7); a rep's figures stay their own whatever they ask."""

    sales_cycle = serializers.SlugRelatedField(slug_field="code", queryset=SalesCycle.objects.all(), required=False)
    salesperson = serializers.SlugRelatedField(slug_field="code", queryset=Salesperson.objects.all(), required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise ValidationError({"date_to": [_("The end date must not be before the start date.")]})
        return attrs


class ReportView(GenericAPIView):
    """A read-only report of the opportunities visible to the user, filtered by ``ReportQueryInput``."""

    pagination_class = None
    filter_backends = []

    def filters(self) -> dict:
        query = ReportQueryInput(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


class ForecastReportView(ReportView):
    """``reports/forecast/`` (SPEC §4, §7)."""

    @extend_schema(
        summary="Forecast: open figures by month of estimated closing date, won figures by month of closing",
        parameters=[ReportQueryInput],
        responses={
            200: inline_serializer(
                "ForecastReport",
                {
                    "currency": serializers.CharField(),
                    "months": inline_serializer(
                        "ForecastMonth",
                        {
                            "month": serializers.CharField(help_text="YYYY-MM"),
                            "open_count": serializers.IntegerField(),
                            "estimated_value": _decimal(),
                            "weighted_value": _decimal(),
                            "won_count": serializers.IntegerField(),
                            "won_value": _decimal(),
                        },
                        many=True,
                    ),
                },
            )
        },
    )
    def get(self, request):
        months = reports.forecast(user=request.user, **self.filters())
        for row in months:
            row["month"] = f"{row['month']:%Y-%m}"
        return Response({"currency": settings.CRM_CURRENCY, "months": _as_strings(months)})


class SalespeopleReportView(ReportView):
    """``reports/salespeople/`` (SPEC §4, §7)."""

    @extend_schema(
        summary="Salesperson statistics: open, won and lost figures, win rate and average days to close",
        parameters=[ReportQueryInput],
        responses={
            200: inline_serializer(
                "SalespeopleReport",
                {
                    "results": inline_serializer(
                        "SalespersonFigures",
                        {
                            "salesperson": serializers.CharField(),
                            "name": serializers.CharField(),
                            "open_count": serializers.IntegerField(),
                            "estimated_value": _decimal(),
                            "weighted_value": _decimal(),
                            "won_count": serializers.IntegerField(),
                            "won_value": _decimal(),
                            "lost_count": serializers.IntegerField(),
                            "win_rate_pct": serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True),
                            "average_days_to_close": serializers.FloatField(allow_null=True),
                        },
                        many=True,
                    ),
                },
            )
        },
    )
    def get(self, request):
        return Response({"results": _as_strings(reports.salespeople_statistics(user=request.user, **self.filters()))})


class WinLossReportView(ReportView):
    """``reports/win-loss/`` (SPEC §4, §7)."""

    @extend_schema(
        summary="Win/loss analysis: closed opportunities by close code and by the stage they were closed at",
        parameters=[ReportQueryInput],
        responses={
            200: inline_serializer(
                "WinLossReport",
                {
                    "by_close_code": inline_serializer(
                        "WinLossByCloseCode",
                        {
                            "close_code": serializers.CharField(),
                            "type": serializers.ChoiceField(choices=CloseOpportunityCode.Type.choices),
                            "count": serializers.IntegerField(),
                            "value": _decimal(),
                        },
                        many=True,
                    ),
                    "by_stage": inline_serializer(
                        "WinLossByStage",
                        {
                            "sales_cycle": serializers.CharField(),
                            "stage": serializers.IntegerField(allow_null=True),
                            "won_count": serializers.IntegerField(),
                            "lost_count": serializers.IntegerField(),
                        },
                        many=True,
                    ),
                },
            )
        },
    )
    def get(self, request):
        figures = reports.win_loss(user=request.user, **self.filters())
        return Response(
            {
                "by_close_code": [
                    {key: _as_strings(row[key]) for key in ("close_code", "type", "count", "value")}
                    for row in figures["by_close_code"]
                ],
                "by_stage": [
                    {key: row[key] for key in ("sales_cycle", "stage", "won_count", "lost_count")}
                    for row in figures["by_stage"]
                ],
            }
        )
