"""``common.markup.fill`` writes what ``format_html`` writes."""

import pytest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from common.markup import fill

TEMPLATE = '<a href="{url}" title="{title}">{text}</a>{extra}'


@pytest.mark.parametrize(
    "values",
    [
        {"url": "/a?b=1&c=2", "title": "\"quoted\" 'single'", "text": "<script>x</script>", "extra": ""},
        {"url": "/x/", "title": 12, "text": None, "extra": mark_safe("<b>kept</b>")},
        {"url": "/y/", "title": 1.5, "text": format_html("<i>{}</i>", "<&>"), "extra": "&amp; already"},
    ],
)
def test_fill_escapes_like_format_html(values):
    filled = fill(TEMPLATE, **values)

    assert filled == format_html(TEMPLATE, **values)
    assert isinstance(filled, SafeString)


def test_a_lazy_translation_is_written_in_the_active_language(db):
    with override("de"):
        assert fill("<p>{text}</p>", text=gettext_lazy("Salesperson")) == "<p>Verkäufer</p>"


def test_unsafe_markup_never_gets_through():
    assert fill("{x}", x="<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
