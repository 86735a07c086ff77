"""The permission matrix's machinery: the personas' world, the URL patterns Django knows, requests.

The table itself is in ``test_permission_matrix.py``; the CSRF test reuses the UI's state-changing
rows from it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token, TokenProxy
from rest_framework.test import APIClient
from rest_framework.views import APIView

from common.models import NumberSeries
from contacts.models import Salesperson
from leads.models import Lead
from opportunities import services
from salescycles.models import Activity, SalesCycleStage
from tests.factories import (
    CloseCodeFactory,
    CompanyFactory,
    LeadFactory,
    OpportunityFactory,
    PersonFactory,
    SalesCycleFactory,
    SalespersonFactory,
    StageFactory,
)

PERSONAS = ("anon", "rita", "otto", "mona", "plain")
# An expected status of LOGIN / ADMIN_LOGIN: a redirect (302) to that login page with ?next=.
LOGIN = "login"
ADMIN_LOGIN = "admin login"


@dataclass
class World:
    """Rita's objects (the rep who owns them), Otto's (the other rep), spare setup rows."""

    users: dict
    tokens: dict
    rita_opportunity: object  # started, with tasks
    fresh_opportunity: object  # Rita's, not started (activate, delete)
    otto_opportunity: object
    rita_task: object
    rita_lead: object
    unassigned_lead: object
    company: object
    lonely_company: object  # no persons, no opportunities: deletable
    person: object
    idle_salesperson: object
    spare_cycle: object
    close_code: object
    activity: object
    today: str = datetime.date.today().isoformat()

    def obj(self, label: str):
        """The object an admin URL of this model points at."""
        user = self.users["rita"]
        objects = {
            "auth.group": lambda: user.groups.model.objects.get_or_create(name="Matrix")[0],
            "auth.user": lambda: user,
            "authtoken.tokenproxy": lambda: TokenProxy.objects.get(user=user),
            "common.numberseries": lambda: NumberSeries.objects.get_or_create(
                code="MX", defaults={"description": "Matrix"}
            )[0],
            "salescycles.salescycle": lambda: self.spare_cycle,
            "salescycles.activity": lambda: self.activity,
            "salescycles.closeopportunitycode": lambda: self.close_code,
            "salescycles.salescyclestage": lambda: SalesCycleStage.objects.filter(sales_cycle=self.spare_cycle).first(),
            "contacts.salesperson": lambda: Salesperson.objects.get(pk=self.idle_salesperson.pk),
            "contacts.contact": lambda: self.person,
            "opportunities.opportunity": lambda: self.fresh_opportunity,
            "opportunities.opportunityentry": lambda: self.rita_opportunity.entries.first(),
            "opportunities.task": lambda: self.rita_task,
            "opportunities.quote": lambda: self.rita_opportunity.quote,
            "leads.lead": lambda: self.rita_lead,
            "axes.accessattempt": lambda: AccessAttempt.objects.create(
                username="rita",
                ip_address="127.0.0.1",
                user_agent="t",
                get_data="",
                post_data="",
                failures_since_start=1,
            ),
            "axes.accesslog": lambda: AccessLog.objects.create(username="rita", ip_address="127.0.0.1", user_agent="t"),
            "axes.accessfailurelog": lambda: AccessFailureLog.objects.create(
                username="rita", ip_address="127.0.0.1", user_agent="t"
            ),
        }
        return objects[label]()


def build_world(*, cycle, rep, other_rep, manager, plain_user) -> World:
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    company = CompanyFactory(name="Matrix Company")
    person = PersonFactory(company=company)
    rita_opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=person)
    services.opportunity_activate(
        opportunity=rita_opportunity,
        user=rep.user,
        estimated_value=Decimal("1000"),
        date_of_change=datetime.date.today(),
    )
    services.quote_save(
        opportunity=rita_opportunity,
        user=rep.user,
        lines=[{"description": "Work", "quantity": Decimal("1"), "unit_price": Decimal("100")}],
    )
    rita_opportunity.refresh_from_db()
    fresh_opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=person)
    otto_opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=other_rep, contact=PersonFactory())
    rita_task = rita_opportunity.tasks.filter(status="not_started").order_by("no").first()
    spare_cycle = SalesCycleFactory(code="SPARE", description="Spare")
    StageFactory(sales_cycle=spare_cycle, stage=1, description="Only")
    users = {"rita": rep.user, "otto": other_rep.user, "mona": manager, "plain": plain_user}
    return World(
        users=users,
        tokens={name: Token.objects.create(user=user) for name, user in users.items()},
        rita_opportunity=rita_opportunity,
        fresh_opportunity=fresh_opportunity,
        otto_opportunity=otto_opportunity,
        rita_task=rita_task,
        rita_lead=LeadFactory(salesperson=rep, status=Lead.Status.NEW),
        unassigned_lead=LeadFactory(),
        company=company,
        lonely_company=CompanyFactory(name="Lonely Company"),
        person=person,
        idle_salesperson=SalespersonFactory(code="IDLE", name="Idle Ivy", user=None),
        spare_cycle=spare_cycle,
        close_code=CloseCodeFactory(code="SPARE-WON", description="Spare", type="won"),
        activity=Activity.objects.get(code="INTRO"),
    )


# --- The URL patterns Django knows ----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the URL name ("contacts:detail"), or the pattern when it has no name or shares it
    pattern: str
    callback: object


def all_routes() -> dict[str, Route]:
    found: list[tuple[str, str, object]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or ""
                walk(entry.url_patterns, prefix + str(entry.pattern), f"{namespace}:{inner}".strip(":"))
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}".strip(":") if entry.name else ""
                found.append((name, prefix + str(entry.pattern), entry.callback))

    walk(get_resolver().url_patterns, "", "")
    names = [name for name, _pattern, _callback in found]
    routes = {}
    for name, pattern, callback in found:
        key = name if name and names.count(name) == 1 else f"{name} {pattern}".strip()
        routes[key] = Route(key, pattern, callback)
    return routes


def api_methods(route: Route) -> set[str]:
    """The HTTP methods an API route answers (besides HEAD and OPTIONS)."""
    view_class = getattr(route.callback, "cls", None)
    allowed = {m for m in view_class.http_method_names if m not in ("head", "options")}
    actions = getattr(route.callback, "actions", None)
    if actions is not None:
        return {m.upper() for m in actions if m in allowed}
    return {m.upper() for m in allowed if hasattr(view_class, m)}


def is_api(route: Route) -> bool:
    view_class = getattr(route.callback, "cls", None)
    return route.pattern.startswith("api/") and view_class is not None and issubclass(view_class, APIView)


def registered_admin_models() -> set[str]:
    return {model._meta.label_lower for model in admin.site._registry}


# --- Requests ------------------------------------------------------------------------------------


def client_for(persona: str, world: World, *, api: bool, enforce_csrf_checks: bool = False):
    if api:
        client = APIClient()
        if persona != "anon":
            client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[persona].key}")
        return client
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    if persona != "anon":
        client.force_login(world.users[persona])
    return client


def send(client, method: str, url: str, data=None, *, api: bool):
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url, data or {})
    if api:
        return call(url, data if data is not None else {}, format="json")
    return call(url, data or {})


def in_savepoint(function):
    """Run ``function`` and roll back what it wrote: each persona meets the same world."""
    with transaction.atomic():
        result = function()
        transaction.set_rollback(True)
    return result


def admin_url(view: str, world: World, label: str) -> str:
    app_label, model_name = label.split(".")
    name = f"admin:{app_label}_{model_name}_{view}"
    if view in ("change", "delete", "history"):
        return reverse(name, args=[world.obj(label).pk])
    return reverse(name)
