"""The order of a text search's page: find the matches first, then sort them.

A contact search is an OR of ``icontains`` over several columns, which the trigram indexes of
``contacts/migrations/0002`` find in one bitmap scan. Asked for the first page in number (or name)
order, PostgreSQL prefers to walk the index of that column instead and test every row on the way,
row after row, until fifty match. It takes the matches to be spread evenly; the test of five
columns costs far more than it reckons. A search that matches 1 % of 60,000 contacts walked 5,000
rows for its first page (10 ms, the bitmap and a sort: 3.5 ms), and one whose matches all lie at
the end of the order walks the whole table (bench/RESULTS.md, round e).

Written as an expression (``"no" || ''``: the same order, no index), the order cannot come from an
index, so the matches are found first and sorted after, which costs at most what counting them
(which every page does) costs. Only for terms the trigram indexes serve: three characters or
more; a shorter term matches too many rows for a sort to pay.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, F, TextField, Value
from django.db.models.functions import Concat

TRIGRAM = 3  # pg_trgm finds no trigram in a shorter term


def served_by_trigrams(terms) -> bool:
    """Whether any of the search terms is long enough for the trigram indexes."""
    return any(len(term.strip()) >= TRIGRAM for term in terms)


def sorted_after_matching(queryset):
    """``queryset`` ordered as it is, with each text column of its ordering as an expression."""
    ordering = []
    for item in queryset.query.order_by or queryset.model._meta.ordering:
        name = item.lstrip("-") if isinstance(item, str) else None
        field = _text_field(queryset.model, name) if name else None
        if field is None:
            ordering.append(item)
            continue
        expression = Concat(F(name), Value(""), output_field=field.__class__())
        ordering.append(expression.desc() if item.startswith("-") else expression.asc())
    return queryset.order_by(*ordering)


def _text_field(model, name: str):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a relation path or an annotation: left as it is
        return None
    return field if isinstance(field, CharField | TextField) and field.concrete else None


def rows_of_page(page_queryset, full_queryset):
    """The rows of a page of a search, read in two steps: the ids of the page from the searched
    table alone, then those rows from ``full_queryset`` (the same table with its joins), in the
    page's order.

    Sorted after matching, the page would otherwise join every match before it keeps fifty: for
    a search matching 1,100 contacts PostgreSQL merged them with the whole company index (10 ms,
    against 3.5 for the ids and 0.3 for the fifty rows).
    """
    ids = list(page_queryset.values_list("pk", flat=True))
    if not ids:
        return full_queryset.none()
    return full_queryset.filter(pk__in=ids).order_by(*page_queryset.query.order_by)
