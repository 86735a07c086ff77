"""The form renderer: Django's, with ``<select>`` and ``<input>`` elements built in Python.

Django renders every option of a select through two templates (the option and its attributes).
A filter with 200 salespeople then costs more than the rest of its page: on the opportunity list,
the board and the reports page of a manager, a third of the rendering time went into the
salesperson select. ``CrmFormRenderer`` writes the same HTML, character for character
(``tests/common/test_forms_renderer.py`` compares the two), directly; every other template, and a
select whose options use a template of their own, goes to Django's renderer as before. The
``<input>`` widgets (text, date, number, checkbox, …: each template includes ``input.html``) are
written the same way: a list filter's nine fields cost a fifth of its page through the templates.
"""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
# Django's widget templates that are nothing but {% include "django/forms/widgets/input.html" %}.
INPUT_WIDGETS = "input checkbox color date datetime email hidden number password search tel text time url"
INPUT_TEMPLATES = {f"django/forms/widgets/{name}.html" for name in INPUT_WIDGETS.split(" ")}


def _attrs(attrs: dict) -> str:
    """As ``django/forms/widgets/attrs.html``: ``False`` leaves the attribute out, ``True`` writes its name."""
    html = []
    for name, value in attrs.items():
        if value is False:
            continue
        html.append(f" {conditional_escape(name)}")
        if value is not True:
            html.append(f'="{conditional_escape(str(value))}"')
    return "".join(html)


def _option(option: dict) -> str:
    value = conditional_escape(str(option["value"]))
    return f'<option value="{value}"{_attrs(option["attrs"])}>{conditional_escape(option["label"])}</option>\n'


def render_select(widget: dict) -> str:
    """The HTML of ``django/forms/widgets/select.html`` for a widget context."""
    html = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        html.extend(f"\n  {_option(option)}" for option in group_choices)
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>")
    return "".join(html)


def render_input(widget: dict) -> str:
    """The HTML of ``django/forms/widgets/input.html`` for a widget context."""
    value = widget["value"]
    value = "" if value is None else f' value="{conditional_escape(str(value))}"'
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>'


class CrmFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if template_name in INPUT_TEMPLATES and widget is not None:
            return mark_safe(render_input(widget))
        if (
            template_name == SELECT_TEMPLATE
            and widget is not None
            and all(
                option.get("template_name") == OPTION_TEMPLATE
                for _name, choices, _index in widget["optgroups"]
                for option in choices
            )
        ):
            return mark_safe(render_select(widget))
        return super().render(template_name, context, request=request)


class ValuesChoiceIterator(ModelChoiceIterator):
    """The options of a ``ValuesModelChoiceField``: (key, label) read as values, one query."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        key = self.field.to_field_name or "pk"
        for value, *parts in self.queryset.values_list(key, *self.field.label_fields):
            yield (value, self.field.label_format.format(*parts))


class ValuesModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` whose options are read as values, not as a model instance each.

    ``label_fields`` and ``label_format`` write the label as the model's ``__str__`` does. A
    200-salesperson filter built 200 instances for a page that shows their names; the submitted
    choice is still validated and cleaned to an instance, as by ``ModelChoiceField``.
    """

    iterator = ValuesChoiceIterator

    def __init__(self, *args, label_fields: tuple[str, ...], label_format: str, **kwargs):
        self.label_fields = label_fields
        self.label_format = label_format
        super().__init__(*args, **kwargs)
