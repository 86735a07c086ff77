from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import ServiceAdminMixin
from common.imports import ExportAdminMixin
from opportunities import admin_actions, services
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, Task
from opportunities.resources import OpportunityEntryResource, OpportunityResource

FIGURES = [
    "status",
    "closed",
    "current_stage",
    "estimated_value",
    "chances_of_success_pct",
    "completed_pct",
    "probability_pct",
    "calculated_current_value",
    "estimated_closing_date",
    "date_closed",
    "close_code",
]


class VisibleToAdminMixin:
    """The admin lists only what the user may see (the same queryset method as UI and API)."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class OpportunityEntryInline(admin.TabularInline):
    model = OpportunityEntry
    fields = [
        "id",
        "action_taken",
        "stage",
        "previous_stage",
        "date_of_change",
        "active",
        "days_open",
        "estimated_value",
        "chances_of_success_pct",
        "completed_pct",
        "probability_pct",
        "calculated_current_value",
        "estimated_close_date",
        "close_code",
        "salesperson",
        "note",
    ]
    readonly_fields = fields
    ordering = ["id"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(ExportAdminMixin, ServiceAdminMixin, VisibleToAdminMixin, admin.ModelAdmin):
    resource_classes = [OpportunityResource]
    list_display = [
        "no",
        "description",
        "status",
        "sales_cycle",
        "current_stage",
        "salesperson",
        "contact",
        "estimated_value",
        "calculated_current_value",
        "estimated_closing_date",
    ]
    list_filter = ["status", "sales_cycle", "current_stage", "salesperson", "priority", "estimated_closing_date"]
    list_select_related = ["sales_cycle", "current_stage", "salesperson", "contact"]
    search_fields = ["no", "description", "contact__name"]
    autocomplete_fields = ["contact", "salesperson"]
    readonly_fields = ["no", "contact_company", "creation_date", *FIGURES, "created_by", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["no", "description", "contact", "contact_company", "salesperson", "sales_cycle", "priority"]},
        ),
        (_("Figures (they change only through the lifecycle)"), {"fields": FIGURES}),
        (_("Record"), {"fields": ["creation_date", "created_by", "created_at", "updated_at"]}),
    ]
    inlines = [OpportunityEntryInline]
    date_hierarchy = "estimated_closing_date"
    actions = [
        admin_actions.activate_first_stage,
        admin_actions.close_won,
        admin_actions.close_lost,
        admin_actions.reassign_salesperson,
        admin_actions.delete_closed,
    ]

    def get_actions(self, request):
        # Deleting goes through delete_closed, which reports each refusal instead of stopping at the first.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data}
            services.opportunity_change(opportunity=obj, user=request.user, **changes)
        else:
            created = services.opportunity_create(
                user=request.user,
                description=data["description"],
                contact=data["contact"],
                salesperson=data["salesperson"],
                sales_cycle=data["sales_cycle"],
                priority=data["priority"],
            )
            obj.pk, obj.no = created.pk, created.no

    def get_deleted_objects(self, objs, request):
        # Entries, quote and open tasks go with the opportunity; the service decides who may delete.
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request, obj):
        services.opportunity_delete(opportunity=obj, user=request.user)


@admin.register(OpportunityEntry)
class OpportunityEntryAdmin(ExportAdminMixin, admin.ModelAdmin):
    resource_classes = [OpportunityEntryResource]
    list_display = [
        "id",
        "opportunity",
        "action_taken",
        "stage",
        "date_of_change",
        "active",
        "days_open",
        "estimated_value",
        "calculated_current_value",
        "salesperson",
    ]
    list_filter = ["action_taken", "active", "sales_cycle", "salesperson"]
    list_select_related = ["opportunity", "stage", "salesperson"]
    search_fields = ["opportunity__no", "opportunity__description"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(opportunity__in=Opportunity.objects.visible_to(request.user).values("pk"))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(ServiceAdminMixin, VisibleToAdminMixin, admin.ModelAdmin):
    list_display = ["no", "description", "type", "date", "priority", "status", "closed", "salesperson", "opportunity"]
    list_filter = ["type", "status", "closed", "canceled", "priority", "salesperson"]
    list_select_related = ["salesperson", "opportunity"]
    search_fields = ["no", "description"]
    readonly_fields = ["no", "salesperson", "opportunity", "opportunity_entry", "closed", "canceled", "date_closed"]
    autocomplete_fields = ["contact"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.task_update(task=obj, user=request.user, **changes)


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    fields = ["line_no", "description", "quantity", "unit_price", "discount_pct", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Quote)
class QuoteAdmin(VisibleToAdminMixin, admin.ModelAdmin):
    list_display = ["no", "opportunity", "quote_date", "valid_until", "total"]
    list_select_related = ["opportunity"]
    search_fields = ["no", "opportunity__no"]
    readonly_fields = ["no", "opportunity", "quote_date", "valid_until", "total"]
    inlines = [QuoteLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
