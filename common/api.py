"""REST API plumbing shared by the apps: errors, pagination, permissions, throttling, schema.

Domain errors become 409 (or 403) with ``{"detail", "code"}`` in one place (``exception_handler``);
Django's own ``ValidationError`` raised by a service becomes a 400 with field errors, like a
serializer's.
"""

import datetime
import re
from collections.abc import Mapping

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError
from common.pagination import Pagination, RowsOf  # noqa: F401  (Pagination re-exported for the API modules)
from opportunities.permissions import can_change_all, salesperson_of


def _field_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [str(message) for message in messages] for field, messages in exc.message_dict.items()}
    return {"non_field_errors": [str(message) for message in exc.messages]}


def exception_handler(exc, context):
    """DRF's handler, plus the domain errors and Django's validation errors of the services."""
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response(_field_errors(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": _("Other records still refer to this one, so it cannot be deleted."), "code": "protected"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        # A uniqueness race that the serializer's own check could not see: report it, never a 500.
        return Response(
            {"detail": _("The request conflicts with the current data; reload and try again."), "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError | UnicodeEncodeError):
        # A value the database cannot hold (out of range, not encodable) that validation let through.
        return Response(
            {"detail": _("A value is out of the range the database can store."), "code": "invalid_value"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.APIException)
        and isinstance(response.data, dict)
        and "detail" in response.data
        and "code" not in response.data
    ):
        response.data["code"] = getattr(response.data["detail"], "code", exc.default_code)
    return response


class IsManagerOrReadOnly(permissions.BasePermission):
    """Setup data: readable by all staff, maintained by sales managers (SPEC §5)."""

    message = gettext_lazy("Only sales managers can change this.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return can_change_all(request.user)


class IsStaffMember(permissions.BasePermission):
    """Sales staff (a user linked to a salesperson) or a sales manager."""

    message = gettext_lazy("Only sales staff can do this.")

    def has_permission(self, request, view):
        return can_change_all(request.user) or salesperson_of(request.user) is not None


def drf_datetime(value: datetime.datetime | None, zone) -> str | None:
    """As DRF's ``DateTimeField``: in the current time zone, ISO 8601, ``Z`` for UTC."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class RowsListMixin:
    """A list action whose page is written by ``list_rows`` (a function of a queryset that returns
    the JSON of its rows) rather than by the serializer; the paginator counts the filtered queryset
    itself (``common.pagination.RowsOf``)."""

    list_rows = None

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(RowsOf(queryset, self.list_rows))
        if page is None:
            return Response(self.list_rows(queryset))
        return self.get_paginated_response(page)


class FilterListsOnlyMixin:
    """Filters, search and ordering narrow lists; one object is found by its key alone.

    DRF runs the filter backends for single objects too: for an opportunity that built and
    validated the whole filter form (about 2 ms) only to look up a number.
    """

    def filter_queryset(self, queryset):
        if getattr(self, "detail", False):
            return queryset
        return super().filter_queryset(queryset)


class StrictFieldsMixin:
    """A body field the resource does not have is an error, not silently ignored (a typo would be).

    Read-only fields are accepted and ignored, so that a client may send back what it read.
    """

    unknown_field_message = gettext_lazy("Unknown field.")

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            # Form-encoded nested values arrive as "steps[0]step_no" (DRF's HTML list notation).
            unknown = {key for key in data if re.sub(r"[\[.].*", "", str(key)) not in self.fields}
            if unknown:
                raise serializers.ValidationError({field: [self.unknown_field_message] for field in sorted(unknown)})
        return super().to_internal_value(data)


class CodeSetOnCreateMixin:
    """``code`` is the natural key: given on create, refused when a change tries to alter it."""

    def validate_code(self, value: str) -> str:
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError(_("The code cannot be changed once created."))
        return value


# --- OpenAPI ---------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A human message in the request's language.")
    code = serializers.CharField(help_text="A stable machine code, e.g. `quote_required`.")


class FieldErrorsSerializer(serializers.Serializer):
    """``{"field": ["message", …]}``; ``non_field_errors`` for errors of the whole body.

    A request that cannot be read at all (malformed JSON, a NUL character) gets ``{"detail", "code"}``.
    """

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        ref_name = "FieldErrors"


# Formats that an empty string does not satisfy, though a blank-able field answers "".
_FORMATS_WITHOUT_BLANK = {"email", "uri"}


class CrmAutoSchema(AutoSchema):
    """Documents the error responses every operation can give, so the schema tells the whole truth."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        extra = {
            # Any request can be unreadable (a NUL character in the URL, a malformed query or body).
            "400": OpenApiResponse(FieldErrorsSerializer, description="Invalid input (field errors)."),
            "401": OpenApiResponse(ErrorSerializer, description="Not authenticated."),
            "403": OpenApiResponse(ErrorSerializer, description="Not allowed."),
            "404": OpenApiResponse(ErrorSerializer, description="Not found, or not visible to this user."),
            "429": OpenApiResponse(ErrorSerializer, description="Too many requests (token clients)."),
        }
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            extra["409"] = OpenApiResponse(ErrorSerializer, description="Refused by a business rule.")
        if method in ("POST", "PUT", "PATCH"):
            extra["415"] = OpenApiResponse(
                ErrorSerializer, description="A body in a media type the API does not read (or none given)."
            )
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = self._blank_allowed(field, super()._map_serializer_field(field, direction, bypass_extensions))
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            # drf-spectacular leaves out the length limits of a nested ``many=True`` serializer.
            min_items = field.min_length if field.min_length is not None else (0 if field.allow_empty else 1)
            if min_items:
                schema["minItems"] = min_items
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if self._blank_allowed(field, schema) is not schema:
            schema.pop("format")

    @staticmethod
    def _blank_allowed(field, schema: dict) -> dict:
        """An optional e-mail address or URL is "" when not given, which no e-mail or URI is."""
        if schema.get("format") in _FORMATS_WITHOUT_BLANK and _may_be_blank(field):
            return {key: value for key, value in schema.items() if key != "format"}
        return schema


def _may_be_blank(field) -> bool:
    if getattr(field, "allow_blank", False):
        return True
    # DRF leaves allow_blank off read-only model fields: ask the model field.
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    if not field.read_only or model is None:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False
