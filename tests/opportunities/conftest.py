"""Fixtures of the lifecycle tests (on top of tests/conftest.py)."""

import pytest

from tests.factories import PersonFactory, SalesCycleFactory, StageFactory
from tests.opportunities.helpers import D, bring_to


@pytest.fixture
def put_in(opportunity, rep, won_code, lost_code):
    """``put_in(status)``: the rep's opportunity brought into one of helpers.STATUSES through the services."""

    def _put_in(status: str):
        return bring_to(opportunity, status, user=rep.user, won_code=won_code, lost_code=lost_code)

    return _put_in


@pytest.fixture
def colleague(opportunity):
    """Another person of the opportunity contact's company."""
    return PersonFactory(company=opportunity.contact.company)


@pytest.fixture
def stranger(db):
    """A person of another company."""
    return PersonFactory()


@pytest.fixture
def second_cycle(db):
    cycle = SalesCycleFactory(code="EXISTING", description="Existing customers")
    StageFactory(sales_cycle=cycle, stage=10, completed_pct=D("25"), chances_of_success_pct=D("50"))
    StageFactory(sales_cycle=cycle, stage=20, completed_pct=D("75"), chances_of_success_pct=D("70"))
    return cycle


@pytest.fixture
def stageless_cycle(db):
    return SalesCycleFactory(code="EMPTY", description="No stages yet")
