"""An axe-core scan (from npm, injected into the page) of the main pages: no critical or serious violations."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from contacts import services as contact_services
from contacts.models import Contact
from opportunities import services
from tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"critical", "serious"}


@pytest.fixture
def little_data(cycle, rep, won_code):
    """A company with a person, and three opportunities of the rep: not started, in progress, won."""
    company = contact_services.contact_create(
        type=Contact.Type.COMPANY, name="Harbour Tools", city="Bergen", salesperson=rep
    )
    person = contact_services.contact_create(
        type=Contact.Type.PERSON, company=company, first_name="Ada", surname="Berg", job_title="Buyer", salesperson=rep
    )
    OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=person, description="Spare parts")
    opportunities = []
    for description in ("Workshop fit-out", "Service contract"):
        opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=person, description=description)
        services.opportunity_activate(
            opportunity=opportunity,
            user=rep.user,
            date_of_change=datetime.date(2026, 1, 10),
            estimated_value=Decimal("1000"),
            estimated_close_date=datetime.date(2030, 1, 1),
        )
        opportunities.append(opportunity)
    services.opportunity_close(
        opportunity=opportunities[1],
        user=rep.user,
        outcome="won",
        close_code=won_code,
        date_closed=datetime.date(2026, 2, 1),
    )
    return {"company": company, "opportunity": opportunities[0]}


def _violations(page, url: str | None = None) -> list[str]:
    """The critical and serious violations on ``url`` (or on the page as it is), as readable lines."""
    if url is not None:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    # Evaluated through DevTools: a <script> tag with axe's source inline would be refused by the
    # Content-Security-Policy (script-src 'self'), as it should be.
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ")),
            }));
        }"""
    )
    where = f"{page.url} at {page.viewport_size['width']} px"
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} → {v['nodes']}" for v in violations if v["impact"] in BLOCKING
    ]


def test_the_main_pages_have_no_critical_or_serious_accessibility_violations(page, log_in, rep, little_data):
    assert AXE.exists(), f"axe-core is missing at {AXE} (npm install)"
    log_in(rep.user)
    detail = f"/opportunities/{little_data['opportunity'].no}/"
    urls = ["/", "/pipeline/", "/opportunities/", detail, "/contacts/", f"/contacts/{little_data['company'].no}/"]
    found = []
    for width in (1280, 390):  # desktop, and a phone where tables and the stage bar scroll sideways
        page.set_viewport_size({"width": width, "height": 800})
        for url in urls:
            found += _violations(page, url)

    # The update dialog, open over the detail page.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(detail)
    page.get_by_role("link", name="Update").click()
    page.get_by_role("dialog").get_by_role("heading", name="Update opportunity").wait_for()
    found += _violations(page)
    assert not found, "\n".join(found)
