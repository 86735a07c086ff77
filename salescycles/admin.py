from django.contrib import admin

from common.admin import ServiceAdminMixin
from common.imports import ImportExportAdminMixin
from salescycles import services
from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage
from salescycles.resources import (
    ActivityResource,
    ActivityStepResource,
    CloseCodeResource,
    SalesCycleResource,
    SalesCycleStageResource,
)


class SalesCycleStageInline(admin.TabularInline):
    model = SalesCycleStage
    extra = 0
    ordering = ["stage"]
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


@admin.register(SalesCycle)
class SalesCycleAdmin(ImportExportAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    resource_classes = [SalesCycleResource, SalesCycleStageResource]
    list_display = ["code", "description", "probability_calculation", "blocked"]
    list_filter = ["blocked", "probability_calculation"]
    search_fields = ["code", "description"]
    inlines = [SalesCycleStageInline]

    def delete_model(self, request, obj):
        services.sales_cycle_delete(sales_cycle=obj, user=request.user)


class ActivityStepInline(admin.TabularInline):
    model = ActivityStep
    extra = 0
    ordering = ["step_no"]


@admin.register(Activity)
class ActivityAdmin(ImportExportAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    resource_classes = [ActivityResource, ActivityStepResource]
    list_display = ["code", "description"]
    list_filter = ["steps__type"]
    search_fields = ["code", "description", "steps__description"]
    inlines = [ActivityStepInline]

    def delete_model(self, request, obj):
        services.activity_delete(activity=obj, user=request.user)


@admin.register(CloseOpportunityCode)
class CloseOpportunityCodeAdmin(ImportExportAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    resource_classes = [CloseCodeResource]
    list_display = ["code", "description", "type"]
    list_filter = ["type"]
    search_fields = ["code", "description"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("code", "description", "type")}
        if change:
            services.close_code_update(close_code=obj, user=request.user, **fields)
        else:
            obj.pk = services.close_code_create(user=request.user, **fields).pk

    def delete_model(self, request, obj):
        services.close_code_delete(close_code=obj, user=request.user)
