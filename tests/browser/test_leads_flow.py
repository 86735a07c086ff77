"""A lead from the website to the pipeline board in a real browser: the public form, the inbox,
the lead's page, qualifying into a new company, a new person and an activated opportunity."""

import re

import pytest
from django.core.cache import cache

from contacts.models import Contact
from leads.models import Lead
from opportunities.models import Opportunity

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_web_enquiry_becomes_an_opportunity_on_the_board(page, log_in, rep, cycle):
    cache.clear()  # the form's rate limit counts in the cache, which outlives other tests

    # A visitor of the website, not logged in.
    page.goto("/enquiry/")
    page.get_by_role("heading", level=1, name="Contact us").wait_for()
    page.get_by_label("Company").fill("Brightwater Pumps Ltd")
    page.get_by_label("First name").fill("Bella")
    page.get_by_label("Surname").fill("Brook")
    page.get_by_label("Email").fill("bella@brightwater.example")
    page.get_by_label("Country/region code").fill("GB")
    page.get_by_label("Message").fill("We need 12 pumps for the new plant.")
    # The honeypot is out of sight (and out of the tab order); a person does not fill it in.
    honeypot = page.get_by_label("Leave this field empty").bounding_box()
    assert honeypot["x"] + honeypot["width"] <= 0
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", level=1, name="Thank you").wait_for()
    lead = Lead.objects.get()
    assert (lead.source, lead.status, lead.email) == ("web_form", "new", "bella@brightwater.example")
    assert "Chrom" in lead.payload["user_agent"]

    # A rep finds it in the inbox and opens it.
    log_in(rep.user)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Leads").click()
    page.get_by_role("heading", level=1, name="Leads").wait_for()
    row = page.get_by_role("row").filter(has_text=lead.no)
    assert row.get_by_text("Web form").is_visible() and row.get_by_text("New").is_visible()
    row.get_by_role("link", name=lead.no).click()
    page.get_by_role("heading", level=1, name=re.compile("Brightwater Pumps Ltd")).wait_for()
    assert page.get_by_text("We need 12 pumps for the new plant.", exact=True).is_visible()

    # Qualify: a new company, a new person, an activated opportunity.
    page.get_by_role("link", name="Qualify").click()
    page.get_by_role("heading", level=1, name=f"Qualify lead {lead.no}").wait_for()
    company = page.get_by_role("group", name="Company")
    assert company.get_by_label("Create a new company").is_checked()
    assert company.get_by_label("Name").input_value() == "Brightwater Pumps Ltd"
    person = page.get_by_role("group", name="Person")
    assert person.get_by_label("Create a new person").is_checked()
    assert person.get_by_label("Surname").input_value() == "Brook"
    person.get_by_label("Job title").fill("Plant manager")
    page.get_by_label("Description").fill("Pumps for the Brightwater plant")
    page.get_by_label("Sales cycle").select_option("NEW")
    # The estimates show only once the first stage is to be activated.
    assert not page.get_by_label("Estimated sales value").is_visible()
    page.get_by_label("Activate first stage").check()
    page.get_by_label("Estimated sales value").fill("24000")
    page.get_by_role("button", name="Qualify and create opportunity").click()
    page.get_by_role("heading", level=1, name="Pumps for the Brightwater plant").wait_for()
    opportunity = Opportunity.objects.get()
    page.get_by_text(f"Lead {lead.no} is qualified into opportunity {opportunity.no}.").wait_for()

    lead.refresh_from_db()
    assert (lead.status, lead.opportunity_id, lead.salesperson_id) == ("qualified", opportunity.pk, rep.pk)
    assert Contact.objects.count() == 2
    assert (lead.company_contact.name, lead.person_contact.name, lead.person_contact.job_title) == (
        "Brightwater Pumps Ltd",
        "Bella Brook",
        "Plant manager",
    )
    assert (opportunity.status, opportunity.current_stage.stage, opportunity.estimated_value) == (
        Opportunity.Status.IN_PROGRESS,
        1,
        24000,
    )
    assert opportunity.contact == lead.person_contact

    # On the board, in the first stage's column.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Pipeline").click()
    page.goto("/pipeline/NEW/")
    column = page.locator("section.board-column", has=page.get_by_role("heading", name="1. Initial"))
    assert column.get_by_text("Pumps for the Brightwater plant").is_visible()


def test_the_lead_pages_have_no_critical_or_serious_accessibility_violations(page, log_in, rep, cycle):
    from tests.browser.test_accessibility import AXE, _violations
    from tests.factories import LeadFactory

    assert AXE.exists(), f"axe-core is missing at {AXE} (npm install)"
    lead = LeadFactory(company_name="Harbour Tools", email="ada@harbour.example", is_possible_duplicate=True)
    found = _violations(page, "/enquiry/")
    log_in(rep.user)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        for url in ("/leads/", f"/leads/{lead.no}/", f"/leads/{lead.no}/qualify/", "/leads/import/"):
            found += _violations(page, url)
    assert not found, "\n".join(found)
