"""REST API of leads (SPEC §6, §7): intake for integrations, the list, and the lead commands.

Views fetch through ``Lead.objects.visible_to(request.user)`` (an invisible lead is a 404),
validate the input with a small serializer and call ``leads.services``. Status, links and the
duplicate flag are read-only here: they change only through the commands.

A lead posted with a token gets source ``api``; one posted from a browser session ``manual``.
Besides sales staff and managers, a user holding the permission ``leads.add_lead`` (an
integration's login) may post leads; it reads none back.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from common.api import FilterListsOnlyMixin, IsStaffMember, StrictFieldsMixin
from contacts.api import ContactSummarySerializer
from contacts.models import Contact, Salesperson
from leads import services
from leads.models import Lead
from opportunities.api import FILTER_BACKENDS, _amount, _percent
from salescycles.models import SalesCycle

NO_PARAMETER = OpenApiParameter("no", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. LD000001")


# --- output ----------------------------------------------------------------------------------


class LeadSerializer(serializers.ModelSerializer):
    salesperson = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    company_contact = serializers.SlugRelatedField(slug_field="no", read_only=True, allow_null=True)
    person_contact = serializers.SlugRelatedField(slug_field="no", read_only=True, allow_null=True)
    opportunity = serializers.SlugRelatedField(slug_field="no", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "no",
            "status",
            "source",
            *services.LEAD_FIELDS,
            "is_possible_duplicate",
            "disqualification_reason",
            "salesperson",
            "company_contact",
            "person_contact",
            "opportunity",
            "payload",
            "created_by",
            "created_at",
            "updated_at",
            "qualified_at",
        ]
        read_only_fields = fields


class LeadSummarySerializer(serializers.ModelSerializer):
    salesperson = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = ["no", "status", "company_name", "first_name", "surname", "email", "salesperson", "created_at"]
        read_only_fields = fields


class DuplicatesSerializer(serializers.Serializer):
    contacts = ContactSummarySerializer(many=True, read_only=True)
    leads = LeadSummarySerializer(
        many=True, read_only=True, help_text="Recent leads visible to you with the same e-mail or name."
    )


class LeadDetailSerializer(LeadSerializer):
    duplicates = DuplicatesSerializer(
        read_only=True, help_text="The contacts and recent leads this lead looks like (also when not flagged)."
    )

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "duplicates"]
        read_only_fields = fields


# --- input -----------------------------------------------------------------------------------


class LeadCreateInput(StrictFieldsMixin, serializers.Serializer):
    company_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=30, required=False, allow_blank=True)
    surname = serializers.CharField(max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="ISO 3166 alpha-2, e.g. DE."
    )
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    message = serializers.CharField(max_length=services.MAX_MESSAGE_LENGTH, required=False, allow_blank=True)
    salesperson = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Salesperson.objects.all(),
        required=False,
        allow_null=True,
        help_text="Assign at once (managers anybody, reps themselves); the salesperson is notified by e-mail.",
    )

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("phone"):
            message = _("Enter an e-mail address or a phone number.")
            raise ValidationError({"email": [message], "phone": [message]})
        return attrs


class NewContactInput(StrictFieldsMixin, serializers.ModelSerializer):
    """The fields of a contact created while qualifying (its type and company are set by the lead)."""

    salesperson = serializers.SlugRelatedField(
        slug_field="code", queryset=Salesperson.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Contact
        fields = list(services.QUALIFY_CONTACT_FIELDS)
        extra_kwargs = {"name": {"required": False, "allow_blank": True}}


class QualifyInput(StrictFieldsMixin, serializers.Serializer):
    company = serializers.SlugRelatedField(
        slug_field="no", queryset=Contact.objects.all(), required=False, help_text="An existing company contact."
    )
    create_company = NewContactInput(required=False, help_text="A new company contact.")
    person = serializers.SlugRelatedField(
        slug_field="no", queryset=Contact.objects.all(), required=False, help_text="An existing person contact."
    )
    create_person = NewContactInput(required=False, help_text="A new person contact (of the company).")
    salesperson = serializers.SlugRelatedField(slug_field="code", queryset=Salesperson.objects.all(), required=False)
    sales_cycle = serializers.SlugRelatedField(slug_field="code", queryset=SalesCycle.objects.all(), required=False)
    description = serializers.CharField(max_length=100, help_text="The opportunity's description.")
    activate_first_stage = serializers.BooleanField(default=False)
    estimated_value = _amount(required=False)
    chances_of_success_pct = _percent(required=False)
    estimated_close_date = serializers.DateField(required=False)

    ESTIMATES = ("estimated_value", "chances_of_success_pct", "estimated_close_date")

    def validate(self, attrs):
        if not attrs["activate_first_stage"]:
            given = [name for name in self.ESTIMATES if name in attrs]
            if given:
                message = _("Only used when the first stage is activated (activate_first_stage).")
                raise ValidationError({name: [message] for name in given})
        return attrs


class DisqualifyInput(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_REASON_LENGTH)


class AssignInput(StrictFieldsMixin, serializers.Serializer):
    salesperson = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Salesperson.objects.all(),
        allow_null=True,
        help_text="null unassigns (managers only).",
    )


class EmptyInput(StrictFieldsMixin, serializers.Serializer):
    pass


# --- filters ---------------------------------------------------------------------------------


class LeadFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Lead.Status.choices)
    source = filters.ChoiceFilter(choices=Lead.Source.choices)
    salesperson = filters.CharFilter(field_name="salesperson__code", max_length=20, help_text="A salesperson code.")
    assigned = filters.BooleanFilter(field_name="salesperson", lookup_expr="isnull", exclude=True)
    is_possible_duplicate = filters.BooleanFilter()
    campaign = filters.CharFilter(max_length=100)
    created = filters.DateFromToRangeFilter(field_name="created_at", help_text="created_after / created_before")

    class Meta:
        model = Lead
        fields = []


# --- views -----------------------------------------------------------------------------------


class MayCreateLeads(permissions.BasePermission):
    message = gettext_lazy("You may not add leads.")

    def has_permission(self, request, view):
        return services.may_create_leads(request.user)


@extend_schema_view(
    list=extend_schema(summary="List the leads visible to you (new first)"),
    retrieve=extend_schema(
        summary="One lead, with the contacts and recent leads it looks like",
        parameters=[NO_PARAMETER],
        responses={200: LeadDetailSerializer},
    ),
    create=extend_schema(
        summary="Submit a lead (integrations: source api); flagged when it looks like a contact or recent lead",
        request=LeadCreateInput,
        responses={201: LeadSerializer},
    ),
)
class LeadViewSet(
    FilterListsOnlyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LeadSerializer
    lookup_field = "no"
    http_method_names = ["get", "post", "head", "options"]
    filterset_class = LeadFilter
    filter_backends = FILTER_BACKENDS
    search_fields = ["no", "company_name", "first_name", "surname", "email", "phone"]
    ordering_fields = ["created_at", "no", "status", "company_name", "surname"]
    ordering = ["-created_at", "-no"]

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), MayCreateLeads()]
        if self.action in ("qualify", "disqualify", "reopen", "assign"):
            return [IsAuthenticated(), IsStaffMember()]
        return [IsAuthenticated()]

    def get_queryset(self):
        return Lead.objects.visible_to(self.request.user).for_list()

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _respond(self, lead: Lead, status_code=status.HTTP_200_OK) -> Response:
        fresh = Lead.objects.for_list().get(pk=lead.pk)
        return Response(LeadSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        lead = self.get_object()
        duplicates = services.lead_duplicates(lead)
        visible = set(
            Lead.objects.visible_to(request.user)
            .filter(pk__in=[other.pk for other in duplicates.leads])
            .values_list("pk", flat=True)
        )
        duplicates.leads = [other for other in duplicates.leads if other.pk in visible]
        lead.duplicates = duplicates
        return Response(LeadDetailSerializer(lead, context=self.get_serializer_context()).data)

    def create(self, request, *args, **kwargs):
        data = self._input(LeadCreateInput)
        source = (
            Lead.Source.API
            if isinstance(request.successful_authenticator, TokenAuthentication)
            else (Lead.Source.MANUAL)
        )
        # Form-encoded bodies arrive as a QueryDict: store its last value per field, like JSON would.
        payload = request.data.dict() if hasattr(request.data, "dict") else dict(request.data)
        lead = services.lead_create(user=request.user, source=source, payload=payload, **data)
        # The creator may not be able to read leads (an integration's login): answer with what it made.
        return self._respond(lead, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Qualify: choose or create the company and person, create the opportunity (one transaction)",
        parameters=[NO_PARAMETER],
        request=QualifyInput,
        responses={200: LeadSerializer},
    )
    @action(detail=True, methods=["post"])
    def qualify(self, request, no=None):
        lead = self.get_object()
        data = dict(self._input(QualifyInput))
        for name in ("create_company", "create_person"):
            if name in data:
                data[name] = dict(data[name])
        services.lead_qualify(lead=lead, user=request.user, **data)
        return self._respond(lead)

    @extend_schema(
        summary="Disqualify with a reason",
        parameters=[NO_PARAMETER],
        request=DisqualifyInput,
        responses={200: LeadSerializer},
    )
    @action(detail=True, methods=["post"])
    def disqualify(self, request, no=None):
        lead = self.get_object()
        services.lead_disqualify(lead=lead, user=request.user, **self._input(DisqualifyInput))
        return self._respond(lead)

    @extend_schema(
        summary="Reopen a disqualified lead",
        parameters=[NO_PARAMETER],
        request=EmptyInput,
        responses={200: LeadSerializer},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, no=None):
        lead = self.get_object()
        self._input(EmptyInput)
        services.lead_reopen(lead=lead, user=request.user)
        return self._respond(lead)

    @extend_schema(
        summary="Assign to a salesperson (reps: an unassigned lead to themselves); notifies by e-mail",
        parameters=[NO_PARAMETER],
        request=AssignInput,
        responses={200: LeadSerializer},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, no=None):
        lead = self.get_object()
        services.lead_assign(lead=lead, user=request.user, **self._input(AssignInput))
        return self._respond(lead)
