"""Schema-driven fuzzing of the REST API with schemathesis (SPEC §7: "Never a 500 for any input").

The OpenAPI document is the project's own (the one ``/api/v1/schema/`` serves, built by
drf-spectacular's generator at collection time). Every operation is called in-process through the
WSGI application ``config.wsgi.application``, once as a sales manager and once as a sales rep (token
authentication), with valid and invalid data (schemathesis' positive and negative generation), and
every answer must

* not be a server error (``not_a_server_error``),
* have a status code the document lists for the operation (``status_code_conformance``),
* have the documented content type (``content_type_conformance``),
* match the documented body schema (``response_schema_conformance``).

The database holds a small fixed data set (``world``) for the whole module: a sales cycle ``NEW``
with stages, close codes, an activity, contacts ``CT000001``…, opportunities ``OP000001``… in every
status and their tasks. Path parameters, query filters and body references are often replaced by
these natural keys (see the ``flatmap_*`` hooks), so that many requests reach existing objects and
the services behind them instead of only 404s and 400s. Each example runs in a savepoint that is
rolled back afterwards, so every example sees the same data and the run is deterministic
(``derandomize=True``); the whole data set is rolled back at the end of the module.
"""

import datetime
import json
import sys
from decimal import Decimal

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from contacts.models import Contact
from contacts.services import contact_create
from opportunities import services
from opportunities.models import Opportunity, Task
from tests.factories import (
    ActivityFactory,
    ActivityStepFactory,
    CloseCodeFactory,
    ManagerFactory,
    OpportunityFactory,
    SalesCycleFactory,
    SalespersonFactory,
    StageFactory,
    UserFactory,
)

# Each test also runs in pytest-django's own transaction (nested in the module's): the marker makes
# pytest-django create the test database even when only this module runs.
pytestmark = pytest.mark.django_db

D = Decimal
MAX_EXAMPLES = 40  # per operation and persona
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The document endpoint takes no data and is slow to build; tests/api/test_schema_api.py checks it.
EXCLUDED_PATHS = ["/api/v1/schema/"]


def _openapi_document() -> dict:
    """The document ``/api/v1/schema/`` serves, as plain JSON (the generator needs no database)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


# The fuzzing phase only (with the schema's own examples): the coverage phase's hundreds of boundary
# cases per operation would take most of the time budget; tests/api/test_api_robustness.py sends
# the classic hostile values explicitly.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(_openapi_document(), config=CONFIG)
schema.app = application


# --- the data set ----------------------------------------------------------------------------

# Natural keys of the data set, by the name a path parameter, query parameter or body field
# uses for them. Filled by the ``world`` fixture (the opportunity and task numbers included).
KNOWN: dict[str, list] = {}
# Known path parameter combinations by path template (e.g. a cycle code with one of its stages).
KNOWN_PATHS: dict[str, list[dict]] = {}


def _seed() -> dict:
    """The fixed data set; returns the users of the personas."""
    manager = ManagerFactory(username="fuzz-manager", password=None)
    rep = SalespersonFactory(code="REP", name="Rita Rep", user=UserFactory(username="fuzz-rep", password=None))
    other = SalespersonFactory(code="OTHER", name="Otto Other", user=UserFactory(username="fuzz-other", password=None))
    SalespersonFactory(code="JD", name="John Doe", user=None)
    SalespersonFactory(code="OLD", name="Olga Old", user=None, blocked=True)

    intro = ActivityFactory(code="INTRO", description="Introduction")
    ActivityStepFactory(activity=intro, step_no=1, type="phone_call", description="Call", date_formula="2D")
    ActivityStepFactory(activity=intro, step_no=2, type="meeting", description="Meet", date_formula="1W")
    ActivityFactory(code="UNUSED", description="Not used by any stage")

    new = SalesCycleFactory(code="NEW", description="New customers", probability_calculation="multiply")
    stages = [
        (1, "Initial", "10", "20", {"activity": intro, "date_formula": "1M"}),
        (2, "Qualify", "30", "40", {"allow_skip": True, "date_formula": "2W"}),
        (3, "Proposal", "50", "60", {"allow_skip": True, "quote_required": True, "date_formula": "CM"}),
        (5, "Negotiate", "80", "0", {"date_formula": "10D"}),
        (7, "Sign", "90", "90", {"date_formula": ""}),
    ]
    for number, description, completed, chances, extra in stages:
        StageFactory(
            sales_cycle=new,
            stage=number,
            description=description,
            completed_pct=D(completed),
            chances_of_success_pct=D(chances),
            **extra,
        )
    SalesCycleFactory(code="EMPTY", description="No stages yet")
    old = SalesCycleFactory(code="RETIRED", description="Retired", blocked=True)
    StageFactory(sales_cycle=old, stage=1, description="Only")
    won_code = CloseCodeFactory(code="WON-PRICE", description="Best price", type="won")
    lost_code = CloseCodeFactory(code="LOST-COMP", description="Lost to competitor", type="lost")
    CloseCodeFactory(code="UNUSED", description="Never used", type="lost")

    def contact(no: str, **fields) -> Contact:
        created = contact_create(user=manager, **fields)
        Contact.objects.filter(pk=created.pk).update(no=no)
        created.refresh_from_db()
        return created

    company = contact("CT000001", type="company", name="Fuzz Industries Ltd", city="Berlin", country="DE")
    person = contact("CT000002", type="person", company=company, first_name="Petra", surname="Person")
    loner = contact("CT000003", type="person", first_name="Lone", surname="Wolf", salesperson=rep)
    contact("CT000004", type="company", name="Fuzz Industries Limited", city="Berlin", country="DE")

    def opportunity(no: str, salesperson, customer, status: str, stage_moves: int = 0) -> Opportunity:
        created = OpportunityFactory(no=no, sales_cycle=new, salesperson=salesperson, contact=customer)
        if status == "not_started":
            return created
        services.opportunity_activate(opportunity=created, user=manager, estimated_value=D("10000"))
        if status == "quote":
            services.quote_save(
                opportunity=created,
                user=manager,
                lines=[{"description": "Licences", "quantity": D("10"), "unit_price": D("1200"), "discount_pct": 0}],
            )
        for _move in range(stage_moves):
            services.opportunity_update_stage(opportunity=created, user=manager, action="next")
        if status == "won":
            services.opportunity_close(opportunity=created, user=manager, outcome="won", close_code=won_code)
        elif status == "lost":
            services.opportunity_close(opportunity=created, user=manager, outcome="lost", close_code=lost_code)
        return created

    opportunity("OP000001", rep, person, "not_started")
    opportunity("OP000002", rep, person, "in_progress")
    opportunity("OP000003", rep, loner, "quote", stage_moves=2)
    opportunity("OP000004", rep, person, "won", stage_moves=1)
    opportunity("OP000005", rep, loner, "lost")
    opportunity("OP000006", other, company, "in_progress", stage_moves=1)
    opportunity("OP000007", other, person, "not_started")
    services.task_create(
        user=manager, description="Send brochure", date=datetime.date(2026, 3, 2), salesperson=rep, contact=person
    )
    for index, task in enumerate(Task.objects.order_by("pk"), start=1):
        Task.objects.filter(pk=task.pk).update(no=f"TD{index:06d}")

    KNOWN.update(
        {
            "salesperson": ["REP", "OTHER", "JD", "OLD"],
            "sales_cycle": ["NEW", "EMPTY", "RETIRED"],
            "sales_cycle_code": ["NEW", "EMPTY", "RETIRED"],
            "close_code": ["WON-PRICE", "LOST-COMP", "UNUSED"],
            "activity": ["INTRO", "UNUSED"],
            "contact": ["CT000001", "CT000002", "CT000003", "CT000004"],
            "contact_company": ["CT000001", "CT000003"],
            "company": ["CT000001", "CT000002", "CT000004"],
            "opportunity": sorted(Opportunity.objects.values_list("no", flat=True)),
            "current_stage": [1, 2, 3, 5, 7],
            "stage": [1, 2, 3, 4, 5, 7],
            "user": ["fuzz-rep", "fuzz-other", "fuzz-manager"],
        }
    )
    codes = {
        "salespeople": KNOWN["salesperson"],
        "sales-cycles": KNOWN["sales_cycle"],
        "close-codes": KNOWN["close_code"],
        "activities": KNOWN["activity"],
        "contacts": KNOWN["contact"],
        "opportunities": KNOWN["opportunity"],
        "tasks": sorted(Task.objects.values_list("no", flat=True)),
    }
    for path in schema.raw_schema["paths"]:
        parts = path.removeprefix("/api/v1/").split("/")
        if "{stage}" in path:
            KNOWN_PATHS[path] = [
                {"sales_cycle_code": code, "stage": number} for code in ("NEW", "RETIRED") for number in (1, 2, 3, 5, 7)
            ]
        elif len(parts) > 1 and parts[1].startswith("{") and parts[0] in codes:
            name = parts[1].strip("{}")
            KNOWN_PATHS[path] = [{name: key} for key in codes[parts[0]]]
    return {"manager": manager, "rep": rep.user}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The data set for the whole module, in a transaction rolled back at the end.

    The WSGI application is called in-process on the test's connection, so Django must not close
    that connection at the start and end of each request (as its test client does, the signal
    handler is disconnected for the duration).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                users = _seed()
                yield {name: Token.objects.create(user=user).key for name, user in users.items()}
            finally:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
                KNOWN.clear()
                KNOWN_PATHS.clear()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# --- steering the generated data towards the data set -----------------------------------------


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    known = KNOWN_PATHS.get(context.operation.path)
    if not known or not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    return st.one_of(st.sampled_from(known), st.just(path_parameters))


def _with_known_values(values):
    """Each value with a known counterpart is kept or replaced by a natural key of the data set."""
    if not isinstance(values, dict):
        return st.just(values)
    names = [name for name in values if name in KNOWN]
    if not names:
        return st.just(values)
    choices = {name: st.one_of(st.sampled_from(KNOWN[name]), st.just(values[name])) for name in names}
    return st.fixed_dictionaries(choices).map(lambda picked: {**values, **picked})


@schema.hook
def flatmap_query(context, query):
    return _with_known_values(query)


@schema.hook
def flatmap_body(context, body):
    return _with_known_values(body)


# --- the test ----------------------------------------------------------------------------------


class ServerErrors:
    """The exceptions behind 500 answers, so that a failure shows the traceback, not only the status."""

    def __init__(self):
        self.errors: list[BaseException] = []

    def __call__(self, sender, request=None, **kwargs):
        self.errors.append(sys.exc_info()[1])


@pytest.mark.parametrize("persona", ["manager", "rep"])
@schema.exclude(path=EXCLUDED_PATHS).parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_fails_and_tells_the_truth(case, persona, world):
    cache.clear()  # the token throttle counts in the cache; every example starts afresh
    server_errors = ServerErrors()
    got_request_exception.connect(server_errors)
    try:
        with transaction.atomic():
            response = case.call(headers={"Authorization": f"Token {world[persona]}"})
            transaction.set_rollback(True)
    finally:
        got_request_exception.disconnect(server_errors)
    if server_errors.errors:
        raise AssertionError(f"{case.method} {case.formatted_path}: server error") from server_errors.errors[0]
    case.validate_response(response, checks=CHECKS)
