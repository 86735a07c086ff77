"""The browser UI of the pipeline; one module per area, each with its own urlpatterns."""

from django.urls import reverse


def url_with_no(name: str):
    """``no → URL`` of a URL pattern that takes an opportunity or contact number.

    Reversed once, with each number put in: reversing per row in a template was a large part of a
    list's or the board's rendering time.
    """
    placeholder = "NO0PLACEHOLDER"  # matches the number converter (capitals and a digit)
    pattern = reverse(name, args=[placeholder])
    return lambda no: pattern.replace(placeholder, no)
