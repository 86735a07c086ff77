"""``common.forms.CrmFormRenderer`` writes selects exactly as Django's templates would."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy

from common.forms import CrmFormRenderer
from contacts.models import Salesperson
from tests.factories import SalespersonFactory

CHOICES = [("", "All"), ("a&b", 'Tom & "Jerry" <script>'), ("2", gettext_lazy("High")), (3, "Three")]
GROUPED = [("", "---"), ("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("Veg & more", [("kale", "Kale")])]


class Filters(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES, required=False)
    required = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(choices=GROUPED, required=False)
    many = forms.MultipleChoiceField(choices=CHOICES, required=False)
    attributes = forms.ChoiceField(
        choices=CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "x y", "data-autosubmit": True, "aria-describedby": "h1", "hidden": False}),
    )
    disabled = forms.ChoiceField(choices=CHOICES, required=False, disabled=True)
    salesperson = forms.ModelChoiceField(queryset=Salesperson.objects.order_by("code"), required=False)
    nullable = forms.NullBooleanField(required=False)


def _rendered_as_by_django(form):
    """Each field's widget rendered by ours, checked equal to Django's templates' rendering."""
    for field in form:
        attrs = {"id": field.auto_id, **field.build_widget_attrs({})}
        ours = field.field.widget.render(field.html_name, field.value(), attrs=attrs, renderer=CrmFormRenderer())
        djangos = field.field.widget.render(field.html_name, field.value(), attrs=attrs, renderer=DjangoTemplates())
        assert ours == djangos, field.name
        yield ours


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "a&b", "required": "2", "grouped": "pear", "many": ["a&b", "3"], "attributes": "3", "salesperson": 1},
        {"required": "nope", "many": ["x"], "nullable": "true"},
    ],
)
def test_every_select_is_the_html_of_djangos_templates(data):
    SalespersonFactory(code="A&B", name="Ann <Admin>")
    SalespersonFactory(code="BOB", name="Bob")
    if data.get("salesperson"):
        data = {**data, "salesperson": str(Salesperson.objects.get(code="A&B").pk)}
    form = Filters(data or None)

    for ours in _rendered_as_by_django(form):
        assert "<option" in ours


def test_the_project_renders_forms_with_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "common.forms.CrmFormRenderer"
    assert isinstance(get_default_renderer(), CrmFormRenderer)


class Inputs(forms.Form):
    text = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": "a", "autofocus": True}))
    hostile = forms.CharField(required=False)
    number = forms.DecimalField(required=False, min_value=0, max_digits=5, decimal_places=2)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    month = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    email = forms.EmailField(required=False)
    secret = forms.CharField(required=False, widget=forms.PasswordInput)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    search = forms.CharField(required=False, widget=forms.SearchInput(attrs={"placeholder": gettext_lazy("Search")}))
    flag = forms.BooleanField(required=False)
    disabled = forms.CharField(required=False, disabled=True, initial="fixed")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "text": 'x<y & "z"',
            "hostile": '"><script>alert(1)</script>',
            "number": "12.5",
            "day": "2026-02-03",
            "month": "2026-02",
            "email": "a&b@example.com",
            "secret": "pw",
            "hidden": "h'1",
            "search": "Ünï",
            "flag": "on",
        },
        {"number": "not a number", "day": "2026-13-45", "flag": ""},
    ],
)
def test_every_input_is_the_html_of_djangos_templates(data):
    form = Inputs(data or None)

    for ours in _rendered_as_by_django(form):
        assert ours.startswith("<input")
    if data.get("hostile"):
        assert "<script>" not in str(form["hostile"])


def test_other_widgets_go_to_djangos_templates():
    for widget in (forms.Textarea(attrs={"class": "a"}), forms.RadioSelect(choices=[("1", "One")])):
        ours = widget.render("q", "x<y", renderer=CrmFormRenderer())

        assert ours == widget.render("q", "x<y", renderer=DjangoTemplates())
