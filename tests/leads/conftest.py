"""Helpers of the lead tests: a snapshot of everything a lead command may write."""

import pytest

from contacts.models import Contact
from leads.models import Lead
from opportunities.models import Opportunity, OpportunityEntry, Task


def snapshot() -> dict:
    """Counts and lead states: equal before and after a refused command."""
    return {
        "contacts": Contact.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "entries": OpportunityEntry.objects.count(),
        "tasks": Task.objects.count(),
        "leads": sorted(
            Lead.objects.values_list("no", "status", "salesperson_id", "disqualification_reason", "opportunity_id")
        ),
    }


@pytest.fixture
def unchanged():
    """``with unchanged():`` asserts that the block changes nothing a lead command could write."""

    class _Unchanged:
        def __enter__(self):
            self.before = snapshot()

        def __exit__(self, exc_type, exc, tb):
            if exc_type is None:
                assert snapshot() == self.before

    return _Unchanged
