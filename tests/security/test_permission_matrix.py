"""Every URL of the UI, the admin and the API, for every persona: the status SPEC §5 promises.

Personas: anonymous, Rita (a rep, owner of the objects in the URLs), Otto (another rep), Mona (a
sales manager with admin access) and a plain signed-in user (neither). Rows are
``{method: (anon, rita, otto, mona, plain)}``. ``LOGIN``/``ADMIN_LOGIN`` mean a redirect to that
login page. Something a user may not see answers 404, something they may see but not change 403.

The table must name every URL pattern Django resolves (and, for the API, every method a route
allows): a new URL without a row fails ``test_every_url_has_a_row``.
"""

import pytest
from django.urls import reverse

from tests.security.matrix import (
    ADMIN_LOGIN,
    LOGIN,
    PERSONAS,
    all_routes,
    api_methods,
    build_world,
    client_for,
    in_savepoint,
    is_api,
    registered_admin_models,
    send,
)

L, A = LOGIN, ADMIN_LOGIN

# --- The UI --------------------------------------------------------------------------------------
# Public: the health check, the login page, the language switch, the enquiry form and its thanks.

UI = {
    "home": {"GET": (L, 200, 200, 200, 200)},
    "health": {"GET": (200, 200, 200, 200, 200), "POST": (405, 405, 405, 405, 405)},
    "login": {"GET": (200, 200, 200, 200, 200), "POST": (200, 200, 200, 200, 200)},  # wrong password
    "logout": {"GET": (L, 405, 405, 405, 405), "POST": (302, 302, 302, 302, 302)},
    "set_language": {"GET": (405, 405, 405, 405, 405), "POST": (302, 302, 302, 302, 302)},
    "api_token": {"GET": (L, 200, 200, 200, 200), "POST": (L, 200, 200, 200, 200)},
    "leads:enquiry": {"GET": (200, 200, 200, 200, 200), "POST": (302, 302, 302, 302, 302)},
    "leads:enquiry_thanks": {"GET": (200, 200, 200, 200, 200)},
    # Contacts are readable by all staff; sales staff change them, managers delete them.
    "contacts:list": {"GET": (L, 200, 200, 200, 200)},
    "contacts:create": {"GET": (L, 200, 200, 200, 403), "POST": (L, 302, 302, 302, 403)},
    "contacts:detail": {"GET": (L, 200, 200, 200, 200)},
    "contacts:edit": {"GET": (L, 200, 200, 200, 403), "POST": (L, 302, 302, 302, 403)},
    "contacts:delete": {"GET": (L, 403, 403, 200, 403), "POST": (L, 403, 403, 302, 403)},
    # Leads: sales staff only; a rep sees the unassigned ones and their own (Rita's lead here).
    "leads:list": {"GET": (L, 200, 200, 200, 403)},
    "leads:bulk": {"POST": (L, 302, 302, 302, 403)},
    "leads:assign_to_me": {"POST": (L, 302, 404, 302, 403)},
    "leads:contact_options": {"GET": (L, 200, 200, 200, 403)},
    "leads:detail": {"GET": (L, 200, 404, 200, 403)},
    "leads:assign": {"POST": (L, 302, 404, 302, 403)},
    "leads:disqualify": {"POST": (L, 302, 404, 302, 403)},
    "leads:reopen": {"POST": (L, 302, 404, 302, 403)},
    # An empty qualify form or import upload is invalid (400): the permission check came first.
    "leads:qualify": {"GET": (L, 200, 404, 200, 403), "POST": (L, 400, 404, 400, 403)},
    "leads:import": {"GET": (L, 200, 200, 200, 403), "POST": (L, 400, 400, 400, 403)},
    "leads:import_mapping": {"GET": (L, 302, 302, 302, 403), "POST": (L, 302, 302, 302, 403)},
    "leads:import_check": {"GET": (L, 302, 302, 302, 403), "POST": (L, 302, 302, 302, 403)},
    # Opportunities: Rita's own; Otto and the plain user do not see them (404).
    "opportunities:list": {"GET": (L, 200, 200, 200, 200)},
    "opportunities:export": {"GET": (L, 200, 200, 200, 200)},
    # A plain user gets the form; the service refuses the opportunity (no salesperson of their own).
    "opportunities:create": {"GET": (L, 200, 200, 200, 200), "POST": (L, 200, 200, 200, 200)},
    "opportunities:edit": {"GET": (L, 200, 404, 200, 404), "POST": (L, 200, 404, 200, 404)},
    "opportunities:contact_options": {"GET": (L, 200, 200, 200, 200)},
    "opportunities:detail": {"GET": (L, 200, 404, 200, 404)},
    "opportunities:activate": {"GET": (L, 200, 404, 200, 404), "POST": (L, 302, 404, 302, 404)},
    "opportunities:update": {"GET": (L, 200, 404, 200, 404), "POST": (L, 200, 404, 200, 404)},
    "opportunities:close": {"GET": (L, 200, 404, 200, 404), "POST": (L, 200, 404, 200, 404)},
    "opportunities:delete": {"GET": (L, 200, 404, 200, 404), "POST": (L, 302, 404, 302, 404)},
    "opportunities:quote": {"GET": (L, 200, 404, 200, 404), "POST": (L, 200, 404, 200, 404)},
    "opportunities:board pipeline/": {"GET": (L, 200, 200, 200, 200)},
    "opportunities:board pipeline/<str:code>/": {"GET": (L, 200, 200, 200, 200)},
    "opportunities:board_column": {"GET": (L, 200, 200, 200, 200)},
    "opportunities:tasks": {"GET": (L, 200, 200, 200, 200)},
    "opportunities:task_complete": {"POST": (L, 302, 404, 302, 404)},
    "opportunities:task_postpone": {"POST": (L, 302, 404, 302, 404)},
    "opportunities:task_cancel": {"POST": (L, 302, 404, 302, 404)},
    "opportunities:reports": {"GET": (L, 200, 200, 200, 200)},
}

UI_KWARGS = {
    "contacts:detail": lambda w: {"no": w.person.no},
    "contacts:edit": lambda w: {"no": w.person.no},
    "contacts:delete": lambda w: {"no": w.company.no},
    "leads:assign_to_me": lambda w: {"no": w.rita_lead.no},
    "leads:detail": lambda w: {"no": w.rita_lead.no},
    "leads:assign": lambda w: {"no": w.rita_lead.no},
    "leads:disqualify": lambda w: {"no": w.rita_lead.no},
    "leads:reopen": lambda w: {"no": w.rita_lead.no},
    "leads:qualify": lambda w: {"no": w.rita_lead.no},
    "opportunities:edit": lambda w: {"no": w.rita_opportunity.no},
    "opportunities:detail": lambda w: {"no": w.rita_opportunity.no},
    "opportunities:activate": lambda w: {"no": w.fresh_opportunity.no},
    "opportunities:update": lambda w: {"no": w.rita_opportunity.no},
    "opportunities:close": lambda w: {"no": w.rita_opportunity.no},
    "opportunities:delete": lambda w: {"no": w.fresh_opportunity.no},
    "opportunities:quote": lambda w: {"no": w.rita_opportunity.no},
    "opportunities:board pipeline/<str:code>/": lambda w: {"code": w.rita_opportunity.sales_cycle.code},
    "opportunities:board_column": lambda w: {
        "code": w.rita_opportunity.sales_cycle.code,
        "key": str(w.rita_opportunity.current_stage_id),
    },
    "opportunities:task_complete": lambda w: {"no": w.rita_task.no},
    "opportunities:task_postpone": lambda w: {"no": w.rita_task.no},
    "opportunities:task_cancel": lambda w: {"no": w.rita_task.no},
}

# Bodies for the POST rows that need one to get past validation to the state change.
UI_DATA = {
    ("logout", "POST"): lambda w: {},
    ("login", "POST"): lambda w: {"username": "nobody-at-all", "password": "wrong"},
    ("leads:enquiry", "POST"): lambda w: {
        "company_name": "Enquiring GmbH",
        "first_name": "Erin",
        "surname": "Enquirer",
        "email": "erin@enquiring.example",
        "message": "Please call",
        "privacy_consent": "on",
    },
    ("set_language", "POST"): lambda w: {"language": "de", "next": "/"},
    ("api_token", "POST"): lambda w: {"action": "create"},
    ("contacts:create", "POST"): lambda w: {"type": "company", "name": "Matrix Newco", "country": "DE"},
    ("contacts:edit", "POST"): lambda w: {
        "type": "person",
        "company": w.company.no,
        "first_name": "Pat",
        "surname": "Person",
        "country": "DE",
    },
    ("contacts:delete", "POST"): lambda w: {},
    ("leads:assign", "POST"): lambda w: {"salesperson": "REP"},
    ("leads:disqualify", "POST"): lambda w: {"reason": "Not a fit"},
    ("opportunities:activate", "POST"): lambda w: {"estimated_value": "500", "date_of_change": w.today},
    ("leads:bulk", "POST"): lambda w: {"action": "assign_to_me", "leads": [w.unassigned_lead.no]},
    ("opportunities:delete", "POST"): lambda w: {},
}

# --- The admin -----------------------------------------------------------------------------------
# Anonymous visitors meet the site's login page first (LoginRequiredMiddleware); signed-in users
# without staff status (reps, the plain user) are sent to the admin's login. Mona
# is staff with the CRM apps' model permissions and none on users, groups, tokens, number series.
# Per model, Mona's status for each admin view (GET); None: the model has no such view.

ADMIN_MODELS = {
    # model: (changelist, add, change, delete, history, import, process_import, export)
    # Managers see users and groups (to link salespeople to users), and see and revoke API tokens
    # but never create or change one: a token acts as its user (migration common/0004).
    "auth.group": (200, 403, 200, 403, 200, None, None, None),
    "auth.user": (200, 403, 200, 403, 200, None, None, None),
    "authtoken.tokenproxy": (200, 403, 200, 200, 200, None, None, None),
    "common.numberseries": (403, 403, 403, 403, 403, None, None, None),
    # django-axes' login attempts and lockouts: for superusers only.
    "axes.accessattempt": (403, 403, 403, 403, 403, None, None, None),
    "axes.accesslog": (403, 403, 403, 403, 403, None, None, None),
    "axes.accessfailurelog": (403, 403, 403, 403, 403, None, None, None),
    "salescycles.salescycle": (200, 200, 200, 200, 200, 200, 405, 200),
    "salescycles.activity": (200, 200, 200, 200, 200, 200, 405, 200),
    "salescycles.closeopportunitycode": (200, 200, 200, 200, 200, 200, 405, 200),
    "contacts.salesperson": (200, 200, 200, 200, 200, 200, 405, 200),
    "contacts.contact": (200, 200, 200, 200, 200, 200, 405, 200),
    "opportunities.opportunity": (200, 200, 200, 200, 200, None, None, 200),
    "opportunities.opportunityentry": (200, 403, 200, 403, 200, None, None, 200),
    "opportunities.task": (200, 403, 200, 200, 200, None, None, None),
    "opportunities.quote": (200, 403, 200, 200, 200, None, None, None),
    "leads.lead": (200, 200, 200, 403, 200, None, None, None),
}
ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history", "import", "process_import", "export")

# The admin site's own views are open to Django's login check, so anonymous visitors go straight
# to the admin's login page.
ADMIN_SITE = {
    "admin:index": (A, A, A, 200, A),
    "admin:login": (200, 200, 200, 302, 200),
    "admin:logout": (A, 302, 302, 405, 302),  # GET: only staff reach the view, which wants POST
    "admin:password_change": (A, A, A, 200, A),
    "admin:password_change_done": (A, A, A, 200, A),
    "admin:autocomplete": (A, A, A, 200, A),
    "admin:jsi18n": (A, A, A, 200, A),
    "admin:view_on_site": (A, A, A, 404, A),  # contacts have no page URL of their own (get_absolute_url)
    "admin:app_list": (A, A, A, 200, A),
    "admin:auth_user_password_change": (L, A, A, 403, A),
    "admin/(?P<url>.*)$": (A, A, A, 404, A),
}


def _admin_rows() -> dict:
    rows = {}
    for label, statuses in ADMIN_MODELS.items():
        app_label, model_name = label.split(".")
        for view, status in zip(ADMIN_VIEWS, statuses, strict=True):
            if status is not None:
                rows[f"admin:{app_label}_{model_name}_{view}"] = (label, view, (L, A, A, status, A))
        # admin/<app>/<model>/<id>/ redirects to the change page.
        rows[f"admin/{app_label}/{model_name}/<path:object_id>/"] = (label, "redirect", (L, A, A, 302, A))
    return rows


ADMIN_ROWS = _admin_rows()


def _admin_site_url(key: str, w) -> str:
    if key == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        content_type = ContentType.objects.get_for_model(w.person)
        return reverse(key, args=[content_type.pk, w.person.pk])
    if key == "admin:app_list":
        return reverse(key, kwargs={"app_label": "contacts"})
    if key == "admin:auth_user_password_change":
        return reverse(key, args=[w.users["rita"].pk])
    if key == "admin:autocomplete":
        return reverse(key) + "?app_label=contacts&model_name=contact&field_name=company&term=x"
    if key.startswith("admin/"):
        return "/admin/no-such-page/"
    return reverse(key)


def _admin_model_url(label: str, view: str, w) -> str:
    app_label, model_name = label.split(".")
    if view == "redirect":
        return f"/admin/{app_label}/{model_name}/{w.obj(label).pk}/"
    name = f"admin:{app_label}_{model_name}_{view}"
    if view in ("change", "delete", "history"):
        return reverse(name, args=[w.obj(label).pk])
    return reverse(name)


# --- The API -------------------------------------------------------------------------------------
# Anonymous requests answer 401. Setup data: readable by all, changed by managers (403 else).
# Opportunities, tasks and quotes: Rita's own (Otto and the plain user get 404 when reading; the
# plain user, not sales staff, is refused every opportunity write with 403 before any lookup).
# Leads: sales staff; the plain user sees none.
# The documentation pages are for people: anonymous visitors go to the login page.

U = 401
API = {
    ("api:salesperson-list", "GET"): (U, 200, 200, 200, 200),
    ("api:salesperson-list", "POST"): (U, 403, 403, 201, 403),
    ("api:salesperson-detail", "GET"): (U, 200, 200, 200, 200),
    ("api:salesperson-detail", "PATCH"): (U, 403, 403, 200, 403),
    ("api:salesperson-detail", "DELETE"): (U, 403, 403, 204, 403),
    ("api:contact-list", "GET"): (U, 200, 200, 200, 200),
    ("api:contact-list", "POST"): (U, 201, 201, 201, 403),
    ("api:contact-detail", "GET"): (U, 200, 200, 200, 200),
    ("api:contact-detail", "PATCH"): (U, 200, 200, 200, 403),
    ("api:contact-detail", "DELETE"): (U, 403, 403, 204, 403),
    ("api:contact-duplicates", "GET"): (U, 200, 200, 200, 200),
    ("api:sales-cycle-list", "GET"): (U, 200, 200, 200, 200),
    ("api:sales-cycle-list", "POST"): (U, 403, 403, 201, 403),
    ("api:sales-cycle-detail", "GET"): (U, 200, 200, 200, 200),
    ("api:sales-cycle-detail", "PATCH"): (U, 403, 403, 200, 403),
    ("api:sales-cycle-detail", "DELETE"): (U, 403, 403, 204, 403),
    ("api:sales-cycle-stage-list", "GET"): (U, 200, 200, 200, 200),
    ("api:sales-cycle-stage-list", "POST"): (U, 403, 403, 201, 403),
    ("api:sales-cycle-stage-detail", "GET"): (U, 200, 200, 200, 200),
    ("api:sales-cycle-stage-detail", "PATCH"): (U, 403, 403, 200, 403),
    ("api:sales-cycle-stage-detail", "DELETE"): (U, 403, 403, 204, 403),
    ("api:sales-cycle-statistics", "GET"): (U, 200, 200, 200, 200),
    ("api:close-code-list", "GET"): (U, 200, 200, 200, 200),
    ("api:close-code-list", "POST"): (U, 403, 403, 201, 403),
    ("api:close-code-detail", "GET"): (U, 200, 200, 200, 200),
    ("api:close-code-detail", "PATCH"): (U, 403, 403, 200, 403),
    ("api:close-code-detail", "DELETE"): (U, 403, 403, 204, 403),
    ("api:activity-list", "GET"): (U, 200, 200, 200, 200),
    ("api:activity-list", "POST"): (U, 403, 403, 201, 403),
    ("api:activity-detail", "GET"): (U, 200, 200, 200, 200),
    ("api:activity-detail", "PATCH"): (U, 403, 403, 200, 403),
    ("api:activity-detail", "DELETE"): (U, 403, 403, 204, 403),
    ("api:opportunity-list", "GET"): (U, 200, 200, 200, 200),
    ("api:opportunity-list", "POST"): (U, 201, 403, 201, 403),  # for Rita: Otto may not
    ("api:opportunity-detail", "GET"): (U, 200, 404, 200, 404),
    ("api:opportunity-detail", "PATCH"): (U, 200, 404, 200, 403),
    ("api:opportunity-detail", "PUT"): (U, 405, 405, 405, 403),  # PATCH only
    ("api:opportunity-detail", "DELETE"): (U, 204, 404, 204, 403),
    ("api:opportunity-activate", "POST"): (U, 200, 404, 200, 403),
    ("api:opportunity-update-stage", "POST"): (U, 200, 404, 200, 403),
    ("api:opportunity-close", "POST"): (U, 200, 404, 200, 403),
    ("api:opportunity-entries", "GET"): (U, 200, 404, 200, 404),
    ("api:opportunity-quote", "GET"): (U, 200, 404, 200, 404),
    ("api:opportunity-quote", "PUT"): (U, 200, 404, 200, 403),
    ("api:opportunity-quote", "DELETE"): (U, 204, 404, 204, 403),
    ("api:task-list", "GET"): (U, 200, 200, 200, 200),
    ("api:task-list", "POST"): (U, 201, 403, 201, 403),  # for Rita: Otto may not
    ("api:task-detail", "GET"): (U, 200, 404, 200, 404),
    ("api:task-detail", "PATCH"): (U, 200, 404, 200, 403),
    ("api:lead-list", "GET"): (U, 200, 200, 200, 200),  # an empty list for the plain user
    ("api:lead-list", "POST"): (U, 201, 201, 201, 403),
    ("api:lead-detail", "GET"): (U, 200, 404, 200, 404),
    ("api:lead-assign", "POST"): (U, 200, 404, 200, 403),
    ("api:lead-disqualify", "POST"): (U, 200, 404, 200, 403),
    ("api:lead-qualify", "POST"): (U, 200, 404, 200, 403),
    ("api:lead-reopen", "POST"): (U, 409, 404, 409, 403),
    ("api:report-forecast", "GET"): (U, 200, 200, 200, 200),
    ("api:report-salespeople", "GET"): (U, 200, 200, 200, 200),
    ("api:report-win-loss", "GET"): (U, 200, 200, 200, 200),
    ("api:schema", "GET"): (U, 200, 200, 200, 200),
    ("api:docs", "GET"): (L, 200, 200, 200, 200),
    ("api:redoc", "GET"): (L, 200, 200, 200, 200),
}

API_KWARGS = {
    "api:salesperson-detail": lambda w: {"code": w.idle_salesperson.code},
    "api:contact-detail": lambda w: {"no": w.lonely_company.no},
    "api:contact-duplicates": lambda w: {"no": w.person.no},
    "api:sales-cycle-detail": lambda w: {"code": w.spare_cycle.code},
    "api:sales-cycle-stage-list": lambda w: {"sales_cycle_code": w.spare_cycle.code},
    "api:sales-cycle-stage-detail": lambda w: {"sales_cycle_code": w.spare_cycle.code, "stage": 1},
    "api:sales-cycle-statistics": lambda w: {"code": w.rita_opportunity.sales_cycle.code},
    "api:close-code-detail": lambda w: {"code": w.close_code.code},
    "api:activity-detail": lambda w: {"code": w.activity.code},
    "api:opportunity-detail": lambda w: {"no": w.fresh_opportunity.no},
    "api:opportunity-activate": lambda w: {"no": w.fresh_opportunity.no},
    "api:opportunity-update-stage": lambda w: {"no": w.rita_opportunity.no},
    "api:opportunity-close": lambda w: {"no": w.rita_opportunity.no},
    "api:opportunity-entries": lambda w: {"no": w.rita_opportunity.no},
    "api:opportunity-quote": lambda w: {"no": w.rita_opportunity.no},
    "api:task-detail": lambda w: {"no": w.rita_task.no},
    "api:lead-detail": lambda w: {"no": w.rita_lead.no},
    "api:lead-assign": lambda w: {"no": w.rita_lead.no},
    "api:lead-disqualify": lambda w: {"no": w.rita_lead.no},
    "api:lead-qualify": lambda w: {"no": w.rita_lead.no},
    "api:lead-reopen": lambda w: {"no": w.rita_lead.no},
}

API_DATA = {
    ("api:salesperson-list", "POST"): lambda w: {"code": "NEWREP", "name": "New Rep"},
    ("api:salesperson-detail", "PATCH"): lambda w: {"name": "Renamed"},
    ("api:contact-list", "POST"): lambda w: {"type": "company", "name": "Matrix Newco"},
    ("api:contact-detail", "PATCH"): lambda w: {"city": "Hamburg"},
    ("api:sales-cycle-list", "POST"): lambda w: {"code": "MATRIX", "description": "Matrix"},
    ("api:sales-cycle-detail", "PATCH"): lambda w: {"description": "Renamed"},
    ("api:sales-cycle-stage-list", "POST"): lambda w: {"stage": 2, "description": "Second"},
    ("api:sales-cycle-stage-detail", "PATCH"): lambda w: {"description": "Renamed"},
    ("api:close-code-list", "POST"): lambda w: {"code": "LOST-X", "description": "Lost", "type": "lost"},
    ("api:close-code-detail", "PATCH"): lambda w: {"description": "Renamed"},
    ("api:activity-list", "POST"): lambda w: {"code": "DEMO", "description": "Demo", "steps": []},
    ("api:activity-detail", "PATCH"): lambda w: {"description": "Renamed"},
    ("api:opportunity-list", "POST"): lambda w: {
        "description": "From the matrix",
        "contact": w.person.no,
        "sales_cycle": w.rita_opportunity.sales_cycle.code,
        "salesperson": "REP",
    },
    ("api:opportunity-detail", "PATCH"): lambda w: {"description": "Renamed"},
    ("api:opportunity-detail", "PUT"): lambda w: {
        "description": "Renamed",
        "contact": w.person.no,
        "salesperson": "REP",
        "sales_cycle": w.rita_opportunity.sales_cycle.code,
    },
    ("api:opportunity-activate", "POST"): lambda w: {"estimated_value": "500.00"},
    ("api:opportunity-update-stage", "POST"): lambda w: {"action": "update", "note": "Matrix"},
    ("api:opportunity-close", "POST"): lambda w: {"outcome": "won", "close_code": w.close_code.code},
    ("api:opportunity-quote", "PUT"): lambda w: {
        "lines": [{"description": "Work", "quantity": "2", "unit_price": "10.00"}]
    },
    ("api:task-list", "POST"): lambda w: {"description": "Call back", "date": "2030-01-02", "salesperson": "REP"},
    ("api:task-detail", "PATCH"): lambda w: {"description": "Renamed"},
    ("api:lead-list", "POST"): lambda w: {"company_name": "Matrix Lead", "surname": "Lee", "email": "m@example.com"},
    ("api:lead-assign", "POST"): lambda w: {"salesperson": "REP"},
    ("api:lead-disqualify", "POST"): lambda w: {"reason": "Not a fit"},
    ("api:lead-qualify", "POST"): lambda w: {
        "company": w.company.no,
        "person": w.person.no,
        "description": "From the lead",
        "salesperson": "REP",
        "sales_cycle": w.rita_opportunity.sales_cycle.code,
    },
}


# --- The tests -----------------------------------------------------------------------------------


def _table_keys() -> set[str]:
    return {*UI, *ADMIN_ROWS, *ADMIN_SITE, *(route for route, _method in API)}


def test_every_url_has_a_row():
    routes = all_routes()
    missing = sorted(set(routes) - _table_keys())
    stale = sorted(_table_keys() - set(routes))
    assert not missing, f"URL patterns without a row in the permission matrix: {missing}"
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


def test_every_api_method_has_a_row():
    routes = all_routes()
    allowed = {(key, method) for key, route in routes.items() if is_api(route) for method in api_methods(route)}
    assert allowed == set(API), {"missing": sorted(allowed - set(API)), "stale": sorted(set(API) - allowed)}


def test_every_admin_model_has_rows():
    assert registered_admin_models() == set(ADMIN_MODELS)


@pytest.fixture
def world(cycle, rep, other_rep, manager, plain_user):
    return build_world(cycle=cycle, rep=rep, other_rep=other_rep, manager=manager, plain_user=plain_user)


def _check(world, url: str, method: str, expected: tuple, data_for, *, api: bool) -> None:
    answers = {}
    for persona, status in zip(PERSONAS, expected, strict=True):
        client = client_for(persona, world, api=api)
        data = data_for(world) if data_for else None
        response = in_savepoint(lambda client=client, data=data: send(client, method, url, data, api=api))
        answers[persona] = _outcome(response, status)
    wrong = {persona: got for persona, (got, ok) in answers.items() if not ok}
    assert not wrong, f"{method} {url}: expected {dict(zip(PERSONAS, expected, strict=True))}, got {wrong}"


def _outcome(response, expected) -> tuple:
    status = response.status_code
    location = response.get("Location", "")
    if expected == LOGIN:
        return (status, location), status == 302 and location.startswith(reverse("login") + "?next=")
    if expected == ADMIN_LOGIN:
        return (status, location), status == 302 and location.startswith(reverse("admin:login") + "?next=")
    return status, status == expected


UI_CASES = [(key, method) for key, methods in UI.items() for method in methods]


@pytest.mark.parametrize(("key", "method"), UI_CASES, ids=[f"{m} {k}" for k, m in UI_CASES])
def test_ui(world, key, method):
    name = key.split(" ")[0]
    kwargs = UI_KWARGS.get(key, lambda w: {})(world)
    url = reverse(name, kwargs=kwargs)
    _check(world, url, method, UI[key][method], UI_DATA.get((key, method)), api=False)


@pytest.mark.parametrize("key", sorted(ADMIN_ROWS))
def test_admin_model_pages(world, key):
    label, view, expected = ADMIN_ROWS[key]
    _check(world, _admin_model_url(label, view, world), "GET", expected, None, api=False)


@pytest.mark.parametrize("key", sorted(ADMIN_SITE))
def test_admin_site_pages(world, key):
    _check(world, _admin_site_url(key, world), "GET", ADMIN_SITE[key], None, api=False)


@pytest.mark.parametrize(("key", "method"), sorted(API), ids=[f"{m} {k}" for k, m in sorted(API)])
def test_api(world, key, method):
    url = reverse(key, kwargs=API_KWARGS.get(key, lambda w: {})(world))
    # The documentation pages are read in a browser, signed in with a session.
    api = key not in ("api:docs", "api:redoc")
    _check(world, url, method, API[(key, method)], API_DATA.get((key, method)), api=api)
