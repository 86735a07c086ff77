"""A rep's whole sale in a real browser: contact, opportunity, activation, tasks, board, quote, won."""

import re

import pytest

from contacts import services as contact_services
from contacts.models import Contact
from opportunities.models import Opportunity, Quote, Task

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rep_takes_a_new_customer_from_contact_to_won(page, log_in, rep, cycle, won_code):
    # Already known: a company of the same name in the same city, which the form flags as a likely duplicate.
    existing = contact_services.contact_create(type=Contact.Type.COMPANY, name="Brightwater Pumps Ltd", city="Leeds")
    log_in(rep.user)

    # A company contact through the contacts UI; the rep sees the likely duplicate and saves anyway.
    page.goto("/contacts/new/")
    page.get_by_label("Type").select_option("company")
    page.get_by_label("Name", exact=True).fill("Brightwater Pumps Ltd")
    page.get_by_label("City").fill("Leeds")
    page.get_by_role("button", name="Save").click()
    duplicates = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="Likely duplicates"))
    assert duplicates.get_by_role("link", name=existing.no).is_visible()
    assert Contact.objects.count() == 1
    page.get_by_role("button", name="Save anyway").click()
    page.get_by_role("heading", level=1, name=re.compile("Brightwater Pumps Ltd")).wait_for()
    contact = Contact.objects.exclude(pk=existing.pk).get(name="Brightwater Pumps Ltd")
    assert (contact.type, contact.salesperson_id) == (Contact.Type.COMPANY, rep.pk)

    # From the contact's page: a new opportunity, the contact filled in.
    page.get_by_role("link", name="Create opportunity").click()
    page.get_by_role("heading", level=1, name="New opportunity").wait_for()
    assert page.get_by_label("Contact", exact=True).input_value() == contact.no
    page.get_by_label("Description").fill("Pumps for the new plant")
    page.get_by_label("Sales cycle").select_option("NEW")
    page.get_by_role("button", name="Create opportunity").click()
    page.get_by_role("heading", level=1, name="Pumps for the new plant").wait_for()
    opportunity = Opportunity.objects.get(description="Pumps for the new plant")
    assert (opportunity.status, opportunity.contact_id, opportunity.salesperson_id, opportunity.sales_cycle_id) == (
        Opportunity.Status.NOT_STARTED,
        contact.pk,
        rep.pk,
        cycle.pk,
    )

    # Activate, with an estimated value: stage 1's activity creates its two tasks.
    page.get_by_role("link", name="Activate").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="Activate").wait_for()
    dialog.get_by_label("Estimated sales value").fill("5000")
    dialog.get_by_role("button", name="Activate").click()
    page.locator(".status-in_progress").wait_for()
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.current_stage.stage, opportunity.estimated_value) == (
        Opportunity.Status.IN_PROGRESS,
        1,
        5000,
    )
    assert opportunity.entries.count() == 1
    tasks = Task.objects.filter(opportunity=opportunity).order_by("date")
    assert [(task.description, task.closed) for task in tasks] == [("Call", False), ("Meet", False)]
    task_list = page.locator("section", has=page.get_by_role("heading", name="Tasks"))
    assert task_list.get_by_text("Call").is_visible() and task_list.get_by_text("Meet").is_visible()

    page.get_by_role("link", name="My tasks").click()
    page.get_by_role("heading", level=1, name="My tasks").wait_for()
    for task in tasks:
        row = page.get_by_role("row").filter(has_text=task.no)
        assert row.get_by_role("link", name=opportunity.no).is_visible()

    # On the board, the keyboard path: Move… → next stage.
    page.goto("/pipeline/NEW/")
    page.get_by_role("link", name=f"Move… {opportunity.no}").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="Update opportunity").wait_for()
    assert dialog.get_by_label("Action").input_value() == "next"
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text(f"Opportunity {opportunity.no} is updated.").wait_for()
    column = page.locator("section.board-column", has=page.get_by_role("heading", name="2. Qualify"))
    assert column.get_by_text("Pumps for the new plant").is_visible()
    opportunity.refresh_from_db()
    assert (opportunity.current_stage.stage, opportunity.entries.count()) == (2, 2)

    # Stage 3 requires a quote: the move is refused, explained in the dialog, and nothing changes.
    page.get_by_role("link", name=f"Move… {opportunity.no}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="Update opportunity").wait_for()
    dialog.get_by_role("button", name="Save").click()
    dialog.get_by_role("alert").filter(
        has_text="Stage 3 (Proposal) requires a sales quote; create one first."
    ).wait_for()
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog").is_visible()
    opportunity.refresh_from_db()
    assert (opportunity.current_stage.stage, opportunity.entries.count()) == (2, 2)

    # A quote with one line, in the quote editor.
    page.get_by_role("link", name=opportunity.no, exact=True).click()
    page.get_by_role("link", name="Create quote").click()
    page.get_by_role("heading", level=1, name="New sales quote").wait_for()
    line = page.locator("[data-lines] [data-line]").first
    line.get_by_label("Description").fill("Centrifugal pump CP-40")
    line.get_by_label("Quantity").fill("4")
    line.get_by_label("Unit price").fill("1250")
    line.get_by_label("Line discount %").fill("10")
    assert "4,500.00" in page.locator("output[data-total]").inner_text()
    page.get_by_role("button", name="Save quote").click()
    page.get_by_text("The sales quote is saved.").wait_for()
    quote = Quote.objects.get(opportunity=opportunity)
    assert (quote.total, quote.lines.count()) == (4500, 1)

    # Close it won with WON-PRICE; the amount is the quote's total.
    page.get_by_role("link", name="Close as won").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Close code").select_option(label=str(won_code))
    dialog.get_by_role("button", name="Close opportunity").click()
    page.locator(".status-won").wait_for()
    assert page.locator(".detail-head .status").inner_text() == "Won"
    assert "WON-PRICE" in page.locator(".detail-head .meta").inner_text()
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.closed, opportunity.close_code_id) == (
        Opportunity.Status.WON,
        True,
        won_code.pk,
    )
    assert opportunity.entries.count() == 3
    assert opportunity.entries.get(active=True).action_taken == "won"
    # Closing cancelled the open tasks by default: none is left open.
    assert not Task.objects.filter(opportunity=opportunity, closed=False).exists()
