"""Sales process setup in CSV and XLSX files (admin import and export).

Cycles and their stages are two files (like activities and their steps): the stage rows name
their cycle by code, so a new cycle is imported first and its stages after it.
"""

from django.utils.translation import gettext_lazy
from import_export import fields

from common.imports import CodeWidget, ServiceResource
from salescycles import services
from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage


class SalesCycleResource(ServiceResource):
    class Meta:
        model = SalesCycle
        name = gettext_lazy("Sales cycles")
        import_id_fields = ["code"]
        fields = ["code", "description", "probability_calculation", "blocked"]
        export_order = fields

    def write(self, instance, values, *, is_create, user):
        if is_create:
            return services.sales_cycle_create(user=user, **values)
        return services.sales_cycle_update(sales_cycle=instance, user=user, **values)


STAGE_FIELDS = [
    "sales_cycle",
    "stage",
    "description",
    "completed_pct",
    "chances_of_success_pct",
    "activity",
    "quote_required",
    "allow_skip",
    "date_formula",
]


class SalesCycleStageResource(ServiceResource):
    sales_cycle = fields.Field(
        attribute="sales_cycle", column_name="sales_cycle", widget=CodeWidget(SalesCycle, "code")
    )
    activity = fields.Field(attribute="activity", column_name="activity", widget=CodeWidget(Activity, "code"))

    class Meta:
        model = SalesCycleStage
        name = gettext_lazy("Sales cycle stages")
        import_id_fields = ["sales_cycle", "stage"]
        fields = STAGE_FIELDS
        export_order = STAGE_FIELDS

    def filter_export(self, queryset, **kwargs):
        return SalesCycleStage.objects.filter(sales_cycle__in=queryset).select_related("sales_cycle", "activity")

    def write(self, instance, values, *, is_create, user):
        if is_create:
            sales_cycle = values.pop("sales_cycle")
            return services.stage_create(sales_cycle=sales_cycle, user=user, changes=values)
        return services.stage_update(stage=instance, user=user, changes=values)


class CloseCodeResource(ServiceResource):
    class Meta:
        model = CloseOpportunityCode
        name = gettext_lazy("Close opportunity codes")
        import_id_fields = ["code"]
        fields = ["code", "description", "type"]
        export_order = fields

    def write(self, instance, values, *, is_create, user):
        if is_create:
            return services.close_code_create(user=user, **values)
        return services.close_code_update(close_code=instance, user=user, **values)


class ActivityResource(ServiceResource):
    class Meta:
        model = Activity
        name = gettext_lazy("Activities")
        import_id_fields = ["code"]
        fields = ["code", "description"]
        export_order = fields

    def write(self, instance, values, *, is_create, user):
        return services.activity_save(activity=None if is_create else instance, user=user, **values)


STEP_FIELDS = ["activity", "step_no", "type", "priority", "description", "date_formula"]


class ActivityStepResource(ServiceResource):
    activity = fields.Field(attribute="activity", column_name="activity", widget=CodeWidget(Activity, "code"))

    class Meta:
        model = ActivityStep
        name = gettext_lazy("Activity steps")
        import_id_fields = ["activity", "step_no"]
        fields = STEP_FIELDS
        export_order = STEP_FIELDS

    def filter_export(self, queryset, **kwargs):
        return ActivityStep.objects.filter(activity__in=queryset).select_related("activity")

    def write(self, instance, values, *, is_create, user):
        activity = values.pop("activity", instance.activity)
        step_no = values.pop("step_no", instance.step_no)
        return services.activity_step_save(activity=activity, step_no=step_no, user=user, **values)
