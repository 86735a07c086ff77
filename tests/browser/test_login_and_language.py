"""Signing in and choosing a language in a real browser."""

import pytest

from common.models import UserProfile

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rep_signs_in_and_sees_their_name_and_role(page, log_in, rep):
    log_in(rep.user)
    assert page.locator(".who").inner_text().startswith("rita")
    assert "Salesperson" in page.locator(".who").inner_text()


def test_choosing_a_language_translates_the_page_and_is_saved_on_the_profile(page, log_in, rep):
    log_in(rep.user)
    page.get_by_label("Language").select_option("de")
    page.wait_for_function("document.documentElement.lang === 'de'")
    assert page.get_by_role("button", name="Abmelden").is_visible()
    assert UserProfile.objects.get(user=rep.user).language == "de"

    # The saved choice wins over the browser's Accept-Language on the next visit.
    page.goto("/")
    assert page.evaluate("document.documentElement.lang") == "de"


def test_switching_through_all_six_languages_translates_the_navigation(page, log_in, rep):
    from django.conf import settings
    from django.utils import translation

    log_in(rep.user)
    seen = set()
    for code, _name in settings.LANGUAGES:
        page.get_by_label(_label_in(page)).select_option(code)
        page.wait_for_function(f"document.documentElement.lang === '{code}'")
        with translation.override(code):
            expected = [str(translation.gettext(label)) for label in ("Pipeline", "Opportunities", "Contacts")]
        navigation = page.get_by_role("navigation").first.inner_text()
        for label in expected:
            assert label in navigation, (code, label, navigation)
        seen.add(expected[1])
    assert len(seen) == 6  # "Opportunities" really differs in each language


def _label_in(page) -> str:
    """The language select's label, in whatever language the page is in."""
    return page.locator("label[for=language-select]").inner_text()
