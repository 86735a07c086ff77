"""``common.forms.ValuesModelChoiceField``: a model select read as values, the same HTML and cleaning."""

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.forms import SalespersonChoiceField
from contacts.models import Salesperson
from tests.factories import SalespersonFactory

pytestmark = pytest.mark.django_db


def _forms(**options):
    class Django(forms.Form):
        salesperson = forms.ModelChoiceField(queryset=Salesperson.objects.order_by("name"), **options)

    class Ours(forms.Form):
        salesperson = SalespersonChoiceField(queryset=Salesperson.objects.order_by("name"), **options)

    return Django, Ours


@pytest.fixture
def salespeople():
    return [
        SalespersonFactory(code="A&B", name='Ann "<Admin>"'),
        SalespersonFactory(code="BOB", name="Bob Ünïcode"),
        SalespersonFactory(code="CAT", name="Cat"),
    ]


@pytest.mark.parametrize("options", [{"required": False, "empty_label": "All"}, {"to_field_name": "code"}])
@pytest.mark.parametrize("chosen", [None, 1, "missing"])
def test_the_select_is_the_html_of_a_model_choice_field(salespeople, options, chosen):
    django_form, our_form = _forms(**options)
    key = options.get("to_field_name")
    value = {None: None, 1: getattr(salespeople[1], key or "pk"), "missing": "missing"}[chosen]
    data = None if value is None else {"salesperson": str(value)}

    assert str(our_form(data)["salesperson"]) == str(django_form(data)["salesperson"])


def test_its_options_are_values_queries_and_it_cleans_to_the_instance(salespeople):
    django_form, our_form = _forms(to_field_name="code")
    form = our_form({"salesperson": "BOB"})

    with CaptureQueriesContext(connection) as queries:
        html = str(form["salesperson"])
    with CaptureQueriesContext(connection) as djangos:
        str(django_form({"salesperson": "BOB"})["salesperson"])
    assert len(queries) == len(djangos)
    # Both read the chosen salesperson whole (to clean it); for the options, Django reads every
    # salesperson whole (their email too), the values field only the key and the label.
    assert sum('"email"' in query["sql"] for query in djangos) == 2
    assert sum('"email"' in query["sql"] for query in queries) == 1
    assert "Bob Ünïcode" in html and "&lt;Admin&gt;" in html
    assert form.is_valid()
    assert form.cleaned_data["salesperson"] == salespeople[1]

    refused = our_form({"salesperson": "NOPE"})
    assert not refused.is_valid() and "salesperson" in refused.errors
