"""The rows and cards written in Python (board cards, opportunity list rows, contact list rows).

They are filled in with ``format_html`` rather than by the template language, so these tests
check what the template did for them: every value escaped, the links, the optional parts.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from opportunities import services
from tests.factories import CompanyFactory, OpportunityFactory, PersonFactory

HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;"
OVERDUE_DAY = datetime.date(2020, 3, 1)


@pytest.fixture
def hostile(cycle, rep):
    company = CompanyFactory(name=HOSTILE + " Ltd")
    person = PersonFactory(
        name=HOSTILE, company=company, phone='+49 "30"', email="a&b@example.com", city="<b>Köln</b>", salesperson=rep
    )
    opportunity = OpportunityFactory(
        sales_cycle=cycle, salesperson=rep, contact=person, contact_company=company, description=HOSTILE
    )
    services.opportunity_activate(
        opportunity=opportunity,
        user=None,
        date_of_change=datetime.date(2020, 1, 6),
        estimated_value=Decimal("1234.5"),
        estimated_close_date=OVERDUE_DAY,
    )
    opportunity.refresh_from_db()
    return opportunity


def _assert_no_raw_markup(html: str) -> None:
    assert "<script>" not in html
    assert ESCAPED in html


@pytest.mark.django_db
def test_a_board_card_escapes_every_value_and_links_its_actions(client, rep, hostile):
    client.force_login(rep.user)
    html = client.get(reverse("opportunities:board", args=[hostile.sales_cycle.code])).content.decode()

    _assert_no_raw_markup(html)
    detail = reverse("opportunities:detail", args=[hostile.no])
    update = reverse("opportunities:update", args=[hostile.no])
    assert f'<a href="{detail}" class="card-no">{hostile.no}</a>' in html
    assert f'data-update-url="{update}"' in html
    assert 'data-status="in_progress" data-index="0"' in html
    assert f"{ESCAPED} · {ESCAPED} Ltd" in html  # the contact, then its company
    assert f'<time datetime="{OVERDUE_DAY.isoformat()}">' in html
    assert '<span class="badge overdue">overdue</span>' in html
    assert f'href="{update}?action=next&amp;next=' in html
    assert "1,234.50\N{NO-BREAK SPACE}EUR" in html


@pytest.mark.django_db
def test_a_list_row_escapes_every_value_and_marks_the_overdue_date(client, rep, hostile):
    client.force_login(rep.user)
    html = client.get(reverse("opportunities:list")).content.decode()

    _assert_no_raw_markup(html)
    detail = reverse("opportunities:detail", args=[hostile.no])
    assert f'<th scope="row"><a href="{detail}">{hostile.no}</a></th>' in html
    assert f'<td class="description"><a href="{detail}">{ESCAPED}</a></td>' in html
    assert "<td>1 – Initial<br>" in html
    assert '<td class="overdue">' in html
    assert '<span class="status status-in_progress">In progress</span>' in html


@pytest.mark.django_db
def test_a_contact_row_escapes_every_value_and_links_phone_email_and_company(client, rep, hostile):
    client.force_login(rep.user)
    html = client.get(reverse("contacts:list") + "?q=script").content.decode()

    _assert_no_raw_markup(html)
    person, company = hostile.contact, hostile.contact_company
    assert f'<a href="{reverse("contacts:detail", args=[company.no])}">{ESCAPED} Ltd</a>' in html
    assert '<a href="tel:+49 &quot;30&quot;">+49 &quot;30&quot;</a>' in html
    assert '<a href="mailto:a&amp;b@example.com">a&amp;b@example.com</a>' in html
    assert '<td data-label="City">&lt;b&gt;Köln&lt;/b&gt;</td>' in html
    assert f'<td data-label="Salesperson">{rep.name}</td>' in html
    assert f'<td data-label="Type">{person.get_type_display()}</td>' in html


@pytest.mark.django_db
def test_the_rows_speak_the_users_language(client, rep, hostile):
    client.force_login(rep.user)
    html = client.get(reverse("contacts:list") + "?q=script", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'data-label="Verkäufer"' in html
    html = client.get(reverse("opportunities:list"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<span class="status status-in_progress">In Bearbeitung</span>' in html


@pytest.mark.django_db
def test_the_history_escapes_notes_and_names_and_shows_who_when_and_where(client, rep, hostile, lost_code):
    rep.user.first_name, rep.user.last_name = "<i>Rita</i>", "Rep"
    rep.user.save()
    services.opportunity_update_stage(
        opportunity=hostile,
        user=rep.user,
        action="next",
        date_of_change=datetime.date(2020, 1, 8),
        note='first line <b>\nsecond & "last"',
    )
    services.opportunity_close(
        opportunity=hostile, user=None, outcome="lost", close_code=lost_code, date_closed=datetime.date(2020, 1, 9)
    )
    client.force_login(rep.user)

    html = client.get(reverse("opportunities:detail", args=[hostile.no])).content.decode()

    assert "<b>" not in html and "<i>Rita" not in html
    assert '<p class="timeline-note">first line &lt;b&gt;<br>second &amp; &quot;last&quot;</p>' in html
    assert "by &lt;i&gt;Rita&lt;/i&gt; Rep, " in html
    assert "by the system, " in html
    assert '<li class="timeline-entry action-lost is-active">' in html
    assert "· LOST-COMP" in html and "· Stage 2 (Qualify)" in html and "· Stage 1 (Initial)" in html
    assert '<time datetime="2020-01-08">' in html
    assert "<dt>Days open</dt><dd>active</dd>" in html and "<dt>Days open</dt><dd>2</dd>" in html

    german = client.get(reverse("opportunities:detail", args=[hostile.no]), HTTP_ACCEPT_LANGUAGE="de")
    assert "<dt>Tage offen</dt><dd>Aktiv</dd>" in german.content.decode()
    assert "vom System, " in german.content.decode()


# The salesperson statistics' rows as the template wrote them before they were filled in Python.
SALESPERSON_ROWS_TEMPLATE = """{% load crm %}{% for row in salespeople %}
        <tr>
          <th scope="row">{{ row.name }} <span class="meta">{{ row.salesperson }}</span></th>
          <td class="num">{{ row.open_count }}</td>
          <td class="num">{{ row.estimated_value|money }}</td>
          <td class="num">{{ row.weighted_value|money }}</td>
          <td class="num">{{ row.won_count }}</td>
          <td class="num">{{ row.won_value|money }}</td>
          <td class="num">{{ row.lost_count }}</td>
          <td class="num">{% if row.win_rate_pct is None %}—{% else %}{{ row.win_rate_pct|percent }}{% endif %}</td>
          <td class="num">{{ row.average_days_to_close|floatformat:1|default:'—' }}</td>
        </tr>
        {% endfor %}"""


@pytest.mark.parametrize("language", ["en", "de", "fi"])
def test_the_salesperson_rows_are_what_the_template_wrote(language):
    from django.template import Context, Template
    from django.utils import translation

    from opportunities.views.reports import _salesperson_rows

    rows = [
        {
            "name": HOSTILE,
            "salesperson": "S<1>",
            "open_count": 1234,
            "estimated_value": Decimal("1234567.5"),
            "weighted_value": Decimal("0.004"),
            "won_count": 0,
            "won_value": Decimal("0"),
            "lost_count": 7,
            "win_rate_pct": None,
            "average_days_to_close": None,
        },
        {
            "name": "Anna Berg",
            "salesperson": "AB",
            "open_count": 3,
            "estimated_value": Decimal("-12.25"),
            "weighted_value": Decimal("99999999.99"),
            "won_count": 2,
            "won_value": Decimal("5000"),
            "lost_count": 1,
            "win_rate_pct": Decimal("66.67"),
            "average_days_to_close": Decimal("12.35"),
        },
    ]
    with translation.override(language):
        expected = Template(SALESPERSON_ROWS_TEMPLATE).render(Context({"salespeople": rows}))
        written = "".join(_salesperson_rows(rows))

    def lines(html: str) -> list[str]:  # the same markup; the indentation between rows may differ
        return [line.strip() for line in html.splitlines() if line.strip()]

    assert lines(written) == lines(expected)
    assert ESCAPED in written and "S&lt;1&gt;" in written
