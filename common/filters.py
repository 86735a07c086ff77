"""API search, in a module of its own: DRF imports it while building its generic views."""

from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.fields import CharField
from rest_framework.filters import search_smart_split

MAX_SEARCH_LENGTH = 200


class SearchFilter(filters.SearchFilter):
    """DRF's ``?search=``, refusing a term longer than ``MAX_SEARCH_LENGTH`` characters (400).

    No useful search is that long, and SQLite answers a LIKE pattern of more than 50,000 bytes
    with an error (a 500).
    """

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        field = CharField(trim_whitespace=False, allow_blank=True, max_length=MAX_SEARCH_LENGTH)
        try:
            cleaned = field.run_validation(value)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc
        return search_smart_split(cleaned)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["maxLength"] = MAX_SEARCH_LENGTH
        return parameters
