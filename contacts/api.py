"""REST API of salespeople and contacts (SPEC §7).

Salespeople are setup data: all staff read them, sales managers maintain them. Contacts are read
by all staff and written by sales staff and managers; only managers delete them. Every write goes
through ``contacts.services``, whose field errors (Django ``ValidationError``) answer 400 and whose
refusals answer 409. Creating a contact answers with its likely duplicates; they never block.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from common.api import (
    CodeSetOnCreateMixin,
    FilterListsOnlyMixin,
    IsManagerOrReadOnly,
    IsStaffMember,
    RowsListMixin,
    StrictFieldsMixin,
    drf_datetime,
)
from common.filters import SearchFilter
from common.ordering import rows_of_page, served_by_trigrams, sorted_after_matching
from contacts import services
from contacts.models import Contact, Salesperson
from salescycles.api import SETUP_HTTP_METHODS, code_parameter, detail_schemas

User = get_user_model()

NO_PARAMETER = OpenApiParameter("no", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. CT000001")


# --- salespeople -----------------------------------------------------------------------------


class SalespersonSerializer(StrictFieldsMixin, CodeSetOnCreateMixin, serializers.ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="The username of the login that works as this salesperson (at most one salesperson per user).",
    )

    class Meta:
        model = Salesperson
        fields = ["code", "name", "user", "email", "phone", "job_title", "commission_pct", "blocked"]

    def validate_user(self, value):
        if value is not None:
            linked = Salesperson.objects.filter(user=value)
            if self.instance is not None:
                linked = linked.exclude(pk=self.instance.pk)
            other = linked.first()
            if other is not None:
                raise serializers.ValidationError(
                    _("User %(username)s is already linked to salesperson %(code)s.")
                    % {"username": value.get_username(), "code": other.code}
                )
        return value


@extend_schema_view(**detail_schemas("salesperson", "salespeople", code_parameter("JD")))
class SalespersonViewSet(FilterListsOnlyMixin, viewsets.ModelViewSet):
    """Salespeople; one with open opportunities or tasks cannot be deleted (block them instead)."""

    serializer_class = SalespersonSerializer
    permission_classes = [IsManagerOrReadOnly]
    lookup_field = "code"
    http_method_names = SETUP_HTTP_METHODS
    queryset = Salesperson.objects.select_related("user")
    filterset_fields = ["blocked"]
    search_fields = ["code", "name", "email"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def perform_create(self, serializer):
        serializer.instance = services.salesperson_create(user=self.request.user, changes=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.salesperson_update(
            salesperson=serializer.instance, user=self.request.user, changes=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.salesperson_delete(salesperson=instance, user=self.request.user)


# --- contacts --------------------------------------------------------------------------------


class ContactSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    company = serializers.SlugRelatedField(
        slug_field="no",
        queryset=Contact.objects.all(),
        required=False,
        allow_null=True,
        help_text="The `no` of the company contact a person belongs to (persons only).",
    )
    salesperson = serializers.SlugRelatedField(
        slug_field="code", queryset=Salesperson.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Contact
        fields = ["no", *services.CONTACT_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["no", "created_at", "updated_at"]
        extra_kwargs = {
            # A person's name is built from first name and surname (the service checks one is there).
            "name": {"required": False, "allow_blank": True},
        }


# The list's JSON written from rows, as ``opportunities.api_rows`` does for opportunities: the
# serializer stays the contract; tests/api/test_contacts_api.py compares the two.
CONTACT_COLUMNS = {
    "no": "no",
    **{field: field for field in services.CONTACT_FIELDS},
    "company": "company__no",
    "salesperson": "salesperson__code",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


def contact_rows(queryset) -> list[dict]:
    """The JSON of each contact of ``queryset`` (filtered, ordered and sliced as it is)."""
    names = ContactSerializer.Meta.fields
    zone = timezone.get_current_timezone()
    rows = []
    for values in queryset.values_list(*(CONTACT_COLUMNS[name] for name in names)):
        row = dict(zip(names, values, strict=True))
        row["created_at"] = drf_datetime(row["created_at"], zone)
        row["updated_at"] = drf_datetime(row["updated_at"], zone)
        rows.append(row)
    return rows


def _searched_contact_rows(page_queryset) -> list[dict]:
    return contact_rows(rows_of_page(page_queryset, Contact.objects.all()))


class ContactSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["no", "name", "type", "city", "email"]
        read_only_fields = fields


class DuplicateSerializer(serializers.Serializer):
    contact = ContactSummarySerializer(read_only=True)
    score = serializers.IntegerField(read_only=True, help_text="% of this contact's search strings that match.")


class DuplicateListSerializer(serializers.Serializer):
    results = DuplicateSerializer(many=True, read_only=True)


class ContactCreatedSerializer(ContactSerializer):
    likely_duplicates = DuplicateSerializer(
        many=True, read_only=True, help_text="Existing contacts that look like this one (creating never blocks)."
    )

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "likely_duplicates"]


class ContactFilter(filters.FilterSet):
    type = filters.ChoiceFilter(choices=Contact.Type.choices)
    company = filters.CharFilter(field_name="company__no", max_length=20, help_text="The company contact's `no`.")
    salesperson = filters.CharFilter(field_name="salesperson__code", max_length=20, help_text="A salesperson code.")

    class Meta:
        model = Contact
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List the contacts"),
    retrieve=extend_schema(summary="One contact", parameters=[NO_PARAMETER]),
    create=extend_schema(
        summary="Create a contact (sales staff); the answer lists its likely duplicates",
        responses={201: ContactCreatedSerializer},
    ),
    partial_update=extend_schema(summary="Change a contact (sales staff)", parameters=[NO_PARAMETER]),
    destroy=extend_schema(
        summary="Delete a contact (managers; not with open opportunities, tasks or history)",
        parameters=[NO_PARAMETER],
    ),
)
class ContactViewSet(RowsListMixin, FilterListsOnlyMixin, viewsets.ModelViewSet):
    """Companies and persons: read by all staff, written by sales staff, deleted by managers."""

    serializer_class = ContactSerializer
    lookup_field = "no"
    http_method_names = SETUP_HTTP_METHODS
    queryset = Contact.objects.select_related("company", "salesperson")
    filterset_class = ContactFilter
    search_fields = ["no", "name", "email", "phone", "city"]
    ordering_fields = ["no", "name", "city", "created_at"]
    ordering = ["no"]
    list_rows = staticmethod(contact_rows)

    def get_permissions(self):
        if self.action in ("create", "partial_update", "update"):
            return [IsAuthenticated(), IsStaffMember()]
        if self.action == "destroy":
            return [IsAuthenticated(), IsManagerOrReadOnly()]
        return [IsAuthenticated()]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            search = SearchFilter()
            if served_by_trigrams(search.get_search_terms(self.request)):
                # The matches first, then their order, then the page's rows (common/ordering.py).
                queryset = sorted_after_matching(queryset)
                self.list_rows = _searched_contact_rows
        return queryset

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.contact_create(user=request.user, **serializer.validated_data)
        contact = self.get_queryset().get(pk=created.pk)
        contact.likely_duplicates = services.likely_duplicates(contact)
        output = ContactCreatedSerializer(contact, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        contact = services.contact_update(
            contact=serializer.instance, user=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=contact.pk)

    def perform_destroy(self, instance):
        services.contact_delete(contact=instance, user=self.request.user)

    @extend_schema(
        summary="Likely duplicates of a contact, best match first",
        parameters=[NO_PARAMETER],
        responses={200: DuplicateListSerializer},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def duplicates(self, request, no=None):
        matches = services.likely_duplicates(self.get_object())
        return Response(DuplicateListSerializer({"results": matches}, context=self.get_serializer_context()).data)
