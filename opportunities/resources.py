"""Exports of opportunities and their history (admin, CSV and XLSX).

Opportunities and entries are written only by the lifecycle services, so there is no import:
references are given by their numbers and codes, figures as stored.
"""

from django.utils.translation import gettext_lazy
from import_export import fields, resources

from opportunities.models import Opportunity, OpportunityEntry


def _ref(attribute: str, column: str | None = None) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column or attribute.split("__")[0], readonly=True)


class OpportunityResource(resources.ModelResource):
    contact = _ref("contact__no")
    contact_name = _ref("contact__name", "contact_name")
    contact_company = _ref("contact_company__no")
    salesperson = _ref("salesperson__code")
    sales_cycle = _ref("sales_cycle__code")
    current_stage = _ref("current_stage__stage")
    close_code = _ref("close_code__code")

    labels = {"contact_name": gettext_lazy("contact name")}

    class Meta:
        model = Opportunity
        name = gettext_lazy("Opportunities")
        fields = [
            "no",
            "description",
            "contact",
            "contact_name",
            "contact_company",
            "salesperson",
            "sales_cycle",
            "current_stage",
            "status",
            "priority",
            "closed",
            "creation_date",
            "estimated_value",
            "chances_of_success_pct",
            "completed_pct",
            "probability_pct",
            "calculated_current_value",
            "estimated_closing_date",
            "date_closed",
            "close_code",
        ]
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "contact", "contact_company", "salesperson", "sales_cycle", "current_stage", "close_code"
        ).order_by("no")


class OpportunityEntryResource(resources.ModelResource):
    opportunity = _ref("opportunity__no")
    sales_cycle = _ref("sales_cycle__code")
    stage = _ref("stage__stage")
    previous_stage = _ref("previous_stage__stage")
    close_code = _ref("close_code__code")
    contact = _ref("contact__no")
    salesperson = _ref("salesperson__code")

    class Meta:
        model = OpportunityEntry
        name = gettext_lazy("Opportunity entries")
        fields = [
            "id",
            "opportunity",
            "sales_cycle",
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
            "contact",
            "salesperson",
            "note",
        ]
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "opportunity", "sales_cycle", "stage", "previous_stage", "close_code", "contact", "salesperson"
        ).order_by("opportunity__no", "id")
