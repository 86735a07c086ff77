"""REST API of the setup data (SPEC §7): sales cycles and their stages, close codes, activities.

All staff read the setup data; sales managers maintain it (``IsManagerOrReadOnly``). Objects are
addressed by their ``code`` (stages by their number within the cycle). A code is given on create
and cannot change afterwards: integrations and URLs refer to it. Serializers check the shape of
the input; every write goes through ``salescycles.services``, which holds the rules (409 refusals).
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from common.api import CodeSetOnCreateMixin, IsManagerOrReadOnly, StrictFieldsMixin
from salescycles import services
from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage

SETUP_HTTP_METHODS = ["get", "post", "patch", "delete", "head", "options"]
# PostgreSQL's integer range; SQLite's is wider, and the API must answer the same on both.
MAX_NUMBER = 2_147_483_647


def code_parameter(example: str) -> OpenApiParameter:
    return OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=f"The code, e.g. {example}")


SALES_CYCLE_CODE_PARAMETER = OpenApiParameter(
    "sales_cycle_code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The sales cycle's code, e.g. NEW"
)
STAGE_PARAMETER = OpenApiParameter(
    "stage", OpenApiTypes.INT, OpenApiParameter.PATH, description="The stage number within the sales cycle"
)


def detail_schemas(noun: str, plural: str, *parameters: OpenApiParameter, writes: str = "managers") -> dict:
    """``extend_schema_view`` arguments of the usual list/retrieve/create/partial_update/destroy."""
    return {
        "list": extend_schema(summary=f"List the {plural}"),
        "retrieve": extend_schema(summary=f"One {noun}", parameters=list(parameters)),
        "create": extend_schema(summary=f"Create a {noun} ({writes})"),
        "partial_update": extend_schema(summary=f"Change a {noun} ({writes})", parameters=list(parameters)),
        "destroy": extend_schema(summary=f"Delete a {noun} ({writes})", parameters=list(parameters)),
    }


# --- serializers -----------------------------------------------------------------------------


class SalesCycleStageSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    activity = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Activity.objects.all(),
        required=False,
        allow_null=True,
        help_text="The code of the activity whose tasks are created when an opportunity enters the stage.",
    )

    class Meta:
        model = SalesCycleStage
        fields = [
            "stage",
            "description",
            "completed_pct",
            "chances_of_success_pct",
            "activity",
            "quote_required",
            "allow_skip",
            "date_formula",
        ]
        extra_kwargs = {"stage": {"min_value": 1, "max_value": MAX_NUMBER}}

    def validate_stage(self, value: int) -> int:
        sales_cycle = self.context["sales_cycle"]
        others = SalesCycleStage.objects.filter(sales_cycle=sales_cycle, stage=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                _("Sales cycle %(code)s already has a stage %(stage)s.") % {"code": sales_cycle.code, "stage": value}
            )
        return value


class SalesCycleSerializer(StrictFieldsMixin, CodeSetOnCreateMixin, serializers.ModelSerializer):
    stages = SalesCycleStageSerializer(
        many=True, read_only=True, help_text="In stage order; maintained at sales-cycles/{code}/stages/."
    )

    class Meta:
        model = SalesCycle
        fields = ["code", "description", "probability_calculation", "blocked", "stages"]


class CloseCodeSerializer(StrictFieldsMixin, CodeSetOnCreateMixin, serializers.ModelSerializer):
    class Meta:
        model = CloseOpportunityCode
        fields = ["code", "description", "type"]


class ActivityStepSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = ActivityStep
        fields = ["step_no", "type", "priority", "description", "date_formula"]
        extra_kwargs = {"step_no": {"max_value": MAX_NUMBER}}


class ActivitySerializer(StrictFieldsMixin, CodeSetOnCreateMixin, serializers.ModelSerializer):
    steps = ActivityStepSerializer(
        many=True,
        required=False,
        help_text="The task templates, by step number. When given, the list replaces all the steps.",
    )

    class Meta:
        model = Activity
        fields = ["code", "description", "steps"]


# --- views -----------------------------------------------------------------------------------


class SetupViewSet(viewsets.ModelViewSet):
    """Read by all signed-in users, written by managers through a service; no PUT (PATCH is)."""

    permission_classes = [IsManagerOrReadOnly]
    lookup_field = "code"
    http_method_names = SETUP_HTTP_METHODS
    ordering = ["code"]


@extend_schema_view(**detail_schemas("sales cycle", "sales cycles", code_parameter("NEW")))
class SalesCycleViewSet(SetupViewSet):
    """Sales cycles with their stages; a cycle with open opportunities cannot be deleted (block it)."""

    serializer_class = SalesCycleSerializer
    filterset_fields = ["blocked", "probability_calculation"]
    search_fields = ["code", "description"]
    ordering_fields = ["code", "description"]

    def get_queryset(self):
        return SalesCycle.objects.prefetch_related("stages__activity")

    def perform_create(self, serializer):
        sales_cycle = services.sales_cycle_create(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=sales_cycle.pk)

    def perform_update(self, serializer):
        sales_cycle = services.sales_cycle_update(
            sales_cycle=serializer.instance, user=self.request.user, **serializer.validated_data
        )
        # Re-read with the stages prefetched: the answer shows them with their activities.
        serializer.instance = self.get_queryset().get(pk=sales_cycle.pk)

    def perform_destroy(self, instance):
        services.sales_cycle_delete(sales_cycle=instance, user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List the stages of a sales cycle", parameters=[SALES_CYCLE_CODE_PARAMETER]),
    retrieve=extend_schema(summary="One stage", parameters=[SALES_CYCLE_CODE_PARAMETER, STAGE_PARAMETER]),
    create=extend_schema(summary="Add a stage (managers)", parameters=[SALES_CYCLE_CODE_PARAMETER]),
    partial_update=extend_schema(
        summary="Change a stage (managers)", parameters=[SALES_CYCLE_CODE_PARAMETER, STAGE_PARAMETER]
    ),
    destroy=extend_schema(
        summary="Delete a stage (managers; not while it is part of opportunities' history)",
        parameters=[SALES_CYCLE_CODE_PARAMETER, STAGE_PARAMETER],
    ),
)
class SalesCycleStageViewSet(viewsets.ModelViewSet):
    """The stages of one cycle, at ``sales-cycles/{sales_cycle_code}/stages/{stage}/``."""

    serializer_class = SalesCycleStageSerializer
    permission_classes = [IsManagerOrReadOnly]
    lookup_field = "stage"
    http_method_names = SETUP_HTTP_METHODS
    filter_backends = []

    def get_sales_cycle(self) -> SalesCycle:
        if not hasattr(self, "_sales_cycle"):
            self._sales_cycle = get_object_or_404(SalesCycle, code=self.kwargs["sales_cycle_code"])
        return self._sales_cycle

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SalesCycleStage.objects.none()
        return SalesCycleStage.objects.filter(sales_cycle=self.get_sales_cycle()).select_related("activity")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["sales_cycle"] = self.get_sales_cycle()
        return context

    def perform_create(self, serializer):
        serializer.instance = services.stage_create(
            sales_cycle=self.get_sales_cycle(), user=self.request.user, changes=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.stage_update(
            stage=serializer.instance, user=self.request.user, changes=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.stage_delete(stage=instance, user=self.request.user)


@extend_schema_view(**detail_schemas("close code", "close codes", code_parameter("WON-PRICE")))
class CloseCodeViewSet(SetupViewSet):
    """Close codes; the type of a code in use cannot change, a code in use cannot be deleted."""

    serializer_class = CloseCodeSerializer
    queryset = CloseOpportunityCode.objects.all()
    filterset_fields = ["type"]
    search_fields = ["code", "description"]
    ordering_fields = ["code", "description", "type"]

    def perform_create(self, serializer):
        serializer.instance = services.close_code_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.close_code_update(
            close_code=serializer.instance, user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.close_code_delete(close_code=instance, user=self.request.user)


@extend_schema_view(**detail_schemas("activity", "activities", code_parameter("INTRO")))
class ActivityViewSet(SetupViewSet):
    """Activities (templates of tasks) with their steps nested; ``steps`` in a write replaces them all."""

    serializer_class = ActivitySerializer
    search_fields = ["code", "description"]
    ordering_fields = ["code", "description"]

    def get_queryset(self):
        return Activity.objects.prefetch_related("steps")

    def perform_create(self, serializer):
        serializer.instance = services.activity_save(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.activity_save(
            activity=serializer.instance, user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.activity_delete(activity=instance, user=self.request.user)
