"""``common.filters.FilterBackend``: django-filter's backend, skipped when no filter is asked for."""

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common.filters import FilterBackend
from opportunities.api import OpportunityViewSet
from opportunities.models import Opportunity

pytestmark = pytest.mark.django_db


def _filter(query: str):
    request = Request(APIRequestFactory().get("/api/v1/opportunities/" + query))
    queryset = Opportunity.objects.all()
    return queryset, FilterBackend().filter_queryset(request, queryset, OpportunityViewSet())


def test_a_request_without_filters_gets_the_queryset_untouched():
    queryset, filtered = _filter("?page_size=20&ordering=-no&search=x")
    assert filtered is queryset


@pytest.mark.parametrize("query", ["?status=won", "?estimated_closing_date_after=2026-01-01"])
def test_a_named_filter_filters(query):
    queryset, filtered = _filter(query)
    assert filtered is not queryset
    assert "WHERE" in str(filtered.query)


def test_a_bad_filter_value_is_still_refused():
    with pytest.raises(ValidationError):
        _filter("?status=nonsense")
