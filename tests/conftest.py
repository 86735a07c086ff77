"""Shared fixtures: the personas of STYLE.md (a rep who owns, a rep who does not, a manager)
and a sales cycle that exercises every rule."""

import datetime
import os
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import (
    ActivityFactory,
    ActivityStepFactory,
    CloseCodeFactory,
    ManagerFactory,
    OpportunityFactory,
    PersonFactory,
    SalesCycleFactory,
    SalespersonFactory,
    StageFactory,
    UserFactory,
)

D = Decimal
TODAY = datetime.date(2026, 3, 2)


# Suites whose subject does not depend on the database engine (a browser, the schema, properties of
# pure functions, the URL permission table): `make test` runs them once, in the PostgreSQL pass.
ONCE = ("tests/browser/", "tests/security/", "tests/properties/", "tests/api/test_schema_fuzz")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip on SQLite, but never in CI, where skipping would hide them."""
    for item in items:
        if "postgresql" in item.keywords:
            item.fixturenames.append("_require_postgresql")
        if item.nodeid.startswith(ONCE):
            item.add_marker(pytest.mark.once)


@pytest.fixture
def _require_postgresql():
    if connection.vendor != "postgresql":
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must run the PostgreSQL tests: set DATABASE_URL to a PostgreSQL database")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: API throttling and the lead form's rate limit count
    there by user and address, and on SQLite a rolled-back test's user ids come back in the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. A request activates its user's language in the
    thread (the middleware, as in production, where every request activates its own), and a test
    that runs code outside a request afterwards in the same process would otherwise inherit it:
    with several workers (pytest-xdist) the order of tests, and so what leaks where, changes."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas get hashed passwords; PBKDF2 would make each test take most of a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def rep(db):
    """A sales rep (user linked to a salesperson)."""
    return SalespersonFactory(code="REP", name="Rita Rep", user=UserFactory(username="rita"))


@pytest.fixture
def other_rep(db):
    return SalespersonFactory(code="OTHER", name="Otto Other", user=UserFactory(username="otto"))


@pytest.fixture
def manager(db):
    return ManagerFactory(username="mona")


@pytest.fixture
def plain_user(db):
    """A logged-in user who is neither a salesperson nor a manager."""
    return UserFactory(username="nobody")


@pytest.fixture
def won_code(db):
    return CloseCodeFactory(code="WON-PRICE", description="Best price", type="won")


@pytest.fixture
def lost_code(db):
    return CloseCodeFactory(code="LOST-COMP", description="Lost to competitor", type="lost")


@pytest.fixture
def cycle(db):
    """Five stages: 1 → 2 (skippable) → 3 (skippable, quote required) → 5 → 7 (gaps allowed).

    Stage 1 has an activity of two steps, stage 5 a chances default of 0 (keep the current value).
    """
    sales_cycle = SalesCycleFactory(code="NEW", description="New customers", probability_calculation="multiply")
    activity = ActivityFactory(code="INTRO", description="Introduction")
    ActivityStepFactory(activity=activity, step_no=1, type="phone_call", description="Call", date_formula="2D")
    ActivityStepFactory(
        activity=activity, step_no=2, type="meeting", priority="high", description="Meet", date_formula="1W"
    )
    StageFactory(
        sales_cycle=sales_cycle,
        stage=1,
        description="Initial",
        completed_pct=D("10"),
        chances_of_success_pct=D("20"),
        activity=activity,
        date_formula="1M",
    )
    StageFactory(
        sales_cycle=sales_cycle,
        stage=2,
        description="Qualify",
        completed_pct=D("30"),
        chances_of_success_pct=D("40"),
        allow_skip=True,
        date_formula="2W",
    )
    StageFactory(
        sales_cycle=sales_cycle,
        stage=3,
        description="Proposal",
        completed_pct=D("50"),
        chances_of_success_pct=D("60"),
        allow_skip=True,
        quote_required=True,
        date_formula="CM",
    )
    StageFactory(
        sales_cycle=sales_cycle,
        stage=5,
        description="Negotiate",
        completed_pct=D("80"),
        chances_of_success_pct=D("0"),
        date_formula="10D",
    )
    StageFactory(
        sales_cycle=sales_cycle,
        stage=7,
        description="Sign",
        completed_pct=D("90"),
        chances_of_success_pct=D("90"),
        date_formula="",
    )
    return sales_cycle


@pytest.fixture
def opportunity(cycle, rep):
    """A not-started opportunity of the rep in the five-stage cycle."""
    return OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory())


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A second alias, "replica", mirroring the test database, for the reports router's tests.

    Nothing is routed to it unless a test sets ``CRM_REPORTS_DATABASE`` (and allows the alias).
    """
    import copy

    from django.conf import settings

    if "replica" not in settings.DATABASES:
        replica = copy.deepcopy(settings.DATABASES["default"])
        replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default"}
        settings.DATABASES["replica"] = replica
