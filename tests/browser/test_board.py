"""The pipeline board in a real browser: move a card with the Move… button, and see a refused skip."""

import datetime
from decimal import Decimal

import pytest

from opportunities import services
from opportunities.models import Opportunity
from tests.factories import OpportunityFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def card(cycle, rep):
    opportunity = OpportunityFactory(
        sales_cycle=cycle, salesperson=rep, contact=PersonFactory(), description="Browser deal"
    )
    services.opportunity_activate(
        opportunity=opportunity,
        user=rep.user,
        date_of_change=datetime.date(2026, 1, 10),
        estimated_value=Decimal("1000"),
        estimated_close_date=datetime.date(2030, 1, 1),
    )
    return opportunity


def test_a_card_moves_to_the_next_stage_with_the_move_button(page, log_in, rep, card):
    log_in(rep.user)
    page.goto("/pipeline/NEW/")
    page.get_by_role("link", name=f"Move… {card.no}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="Update opportunity").wait_for()
    assert dialog.get_by_label("Action").input_value() == "next"
    # The live preview: stage 2 has 30 % completed and proposes 40 % chances → 12 % of 1,000.
    assert "120.00" in dialog.locator('[data-out="weighted"]').inner_text()
    dialog.get_by_label("Estimated sales value").fill("2000")
    assert "240.00" in dialog.locator('[data-out="weighted"]').inner_text()
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text(f"Opportunity {card.no} is updated.").wait_for()
    column = page.locator("section.board-column", has=page.get_by_role("heading", name="2. Qualify"))
    assert column.get_by_text("Browser deal").is_visible()
    assert Opportunity.objects.get(pk=card.pk).current_stage.stage == 2


def test_a_refused_skip_is_explained_in_the_dialog_and_nothing_changes(page, log_in, rep, card):
    log_in(rep.user)
    page.goto("/pipeline/NEW/")
    page.get_by_role("link", name=f"Move… {card.no}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Action").select_option("skip")
    dialog.get_by_label("Stage", exact=True).select_option("7")
    dialog.get_by_role("button", name="Save").click()
    dialog.get_by_role("alert").filter(has_text="Stage 5 (Negotiate) cannot be skipped.").wait_for()
    assert page.get_by_role("dialog").is_visible()
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog").is_visible()
    fresh = Opportunity.objects.get(pk=card.pk)
    assert (fresh.current_stage.stage, fresh.entries.count()) == (1, 1)


def test_dropping_a_card_on_a_later_column_opens_the_dialog_with_skip_and_moves_it(page, log_in, rep, card):
    page.set_viewport_size({"width": 1920, "height": 900})  # every column on screen: a drag does not scroll
    log_in(rep.user)
    page.goto("/pipeline/NEW/")
    target = page.locator("section.board-column", has=page.get_by_role("heading", name="5. Negotiate"))
    page.locator("[data-card]", has_text="Browser deal").drag_to(target)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="Update opportunity").wait_for()
    assert dialog.get_by_label("Action").input_value() == "skip"
    assert dialog.get_by_label("Stage", exact=True).input_value() == "5"
    dialog.get_by_role("button", name="Save").click()
    # Stages 2 and 3 may be skipped: the server accepts, and the board shows the card at stage 5.
    page.get_by_text(f"Opportunity {card.no} is updated.").wait_for()
    assert target.get_by_text("Browser deal").is_visible()
    fresh = Opportunity.objects.get(pk=card.pk)
    assert (fresh.current_stage.stage, fresh.entries.get(active=True).action_taken) == (5, "skipped")
