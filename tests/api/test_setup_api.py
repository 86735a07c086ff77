"""The setup endpoints (SPEC §7): sales cycles, their stages, close codes and activities.

All staff read them; only sales managers change them. Refusals answer 409 with ``{detail, code}``
and leave the data as it was.
"""

from decimal import Decimal

import pytest

from opportunities.models import Opportunity, OpportunityEntry
from opportunities.services import opportunity_close, opportunity_create
from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage
from tests.factories import (
    ActivityFactory,
    ActivityStepFactory,
    CloseCodeFactory,
    PersonFactory,
    SalesCycleFactory,
    StageFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


def setup_state() -> tuple:
    """Everything an endpoint of this module could change."""
    return (
        list(SalesCycle.objects.order_by("pk").values()),
        list(SalesCycleStage.objects.order_by("pk").values()),
        list(CloseOpportunityCode.objects.order_by("pk").values()),
        list(Activity.objects.order_by("pk").values()),
        list(ActivityStep.objects.order_by("pk").values()),
        list(Opportunity.objects.order_by("pk").values("pk", "status", "current_stage", "close_code")),
        OpportunityEntry.objects.count(),
    )


def assert_refused(response, status_code: int, code: str | None = None) -> None:
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"detail", "code"}
    if code is not None:
        assert body["code"] == code


def results(response) -> list:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def start(cycle, rep):
    """``start()``: an opportunity of the rep in the five-stage cycle, at stage 1 unless told otherwise."""

    def make(*, activate: bool = True) -> Opportunity:
        return opportunity_create(
            user=rep.user,
            description="Deal",
            contact=PersonFactory(),
            sales_cycle=cycle,
            activate_first_stage=activate,
            estimated_value=Decimal("1000"),
        )

    return make


@pytest.fixture
def unused_cycle(db):
    cycle = SalesCycleFactory(code="SPARE", description="Spare")
    StageFactory(sales_cycle=cycle, stage=1)
    return cycle


# --- the permission matrix ------------------------------------------------------------------

# (list url, detail url, body of a create, body of a change); the objects come from `setup_data`.
RESOURCES = {
    "sales-cycle": (
        "/sales-cycles/",
        "/sales-cycles/SPARE/",
        {"code": "EXISTING", "description": "Existing customers"},
        {"description": "Renamed"},
    ),
    "stage": (
        "/sales-cycles/NEW/stages/",
        "/sales-cycles/NEW/stages/7/",
        {"stage": 9, "description": "Handover"},
        {"description": "Renamed"},
    ),
    "close-code": (
        "/close-codes/",
        "/close-codes/LOST-COMP/",
        {"code": "LOST-PRICE", "description": "Too expensive", "type": "lost"},
        {"description": "Renamed"},
    ),
    "activity": (
        "/activities/",
        "/activities/INTRO/",
        {"code": "DEMO", "description": "Demo", "steps": [{"step_no": 1, "description": "Demo"}]},
        {"description": "Renamed"},
    ),
}


@pytest.fixture
def setup_data(cycle, unused_cycle, won_code, lost_code):
    return cycle


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", ["rep_api", "other_rep_api", "plain_api", "manager_api"])
def test_every_signed_in_user_reads_the_setup_data(request, setup_data, resource, persona):
    client = request.getfixturevalue(persona)
    list_url, detail_url, _create, _change = RESOURCES[resource]

    assert client.get(API + list_url).status_code == 200
    assert client.get(API + detail_url).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", ["rep_api", "other_rep_api", "plain_api"])
def test_only_managers_change_the_setup_data(request, setup_data, resource, persona):
    client = request.getfixturevalue(persona)
    list_url, detail_url, create, change = RESOURCES[resource]
    before = setup_state()

    assert_refused(client.post(API + list_url, create), 403)
    assert_refused(client.patch(API + detail_url, change), 403)
    assert_refused(client.delete(API + detail_url), 403)
    assert setup_state() == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_requests_get_401(anon_api, setup_data, resource):
    list_url, detail_url, create, change = RESOURCES[resource]
    before = setup_state()

    for response in (
        anon_api.get(API + list_url),
        anon_api.get(API + detail_url),
        anon_api.post(API + list_url, create),
        anon_api.patch(API + detail_url, change),
        anon_api.delete(API + detail_url),
    ):
        assert_refused(response, 401)
    assert setup_state() == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_manager_creates_changes_and_deletes_the_setup_data(manager_api, setup_data, resource):
    list_url, detail_url, create, change = RESOURCES[resource]

    created = manager_api.post(API + list_url, create)
    changed = manager_api.patch(API + detail_url, change)
    deleted = manager_api.delete(API + detail_url)

    assert created.status_code == 201, created.content
    assert changed.status_code == 200, changed.content
    assert changed.json()["description"] == "Renamed"
    assert deleted.status_code == 204, deleted.content
    assert manager_api.get(API + detail_url).status_code == 404


@pytest.mark.parametrize("resource", RESOURCES)
def test_put_is_not_offered(manager_api, setup_data, resource):
    _list_url, detail_url, _create, change = RESOURCES[resource]

    assert manager_api.put(API + detail_url, change).status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "/sales-cycles/NOPE/",
        "/sales-cycles/NOPE/stages/1/",
        "/sales-cycles/NEW/stages/4/",
        "/sales-cycles/NEW/stages/0/",
        "/sales-cycles/NEW/stages/abc/",
        "/sales-cycles/NEW/stages/-1/",
        "/sales-cycles/NEW/stages/99999999999999999999999999/",
        "/sales-cycles/new/",
        "/close-codes/NOPE/",
        "/activities/NOPE/",
    ],
)
def test_unknown_keys_answer_404(manager_api, cycle, url):
    assert manager_api.get(API + url).status_code == 404
    assert manager_api.patch(API + url, {"description": "x"}).status_code == 404
    assert manager_api.delete(API + url).status_code == 404


def test_the_stages_of_an_unknown_cycle_answer_404(manager_api, cycle):
    listed = manager_api.get(f"{API}/sales-cycles/NOPE/stages/")
    added = manager_api.post(f"{API}/sales-cycles/NOPE/stages/", {"stage": 1, "description": "First"})

    assert listed.status_code == 404
    assert added.status_code == 404
    assert not SalesCycle.objects.filter(code="NOPE").exists()


# --- sales cycles -----------------------------------------------------------------------------


def test_a_sales_cycle_shows_its_stages_in_stage_order(rep_api, cycle):
    StageFactory(sales_cycle=cycle, stage=4, description="Demo")

    body = rep_api.get(f"{API}/sales-cycles/NEW/").json()

    assert body["code"] == "NEW"
    assert body["probability_calculation"] == "multiply"
    assert [stage["stage"] for stage in body["stages"]] == [1, 2, 3, 4, 5, 7]
    assert body["stages"][0] == {
        "stage": 1,
        "description": "Initial",
        "completed_pct": "10.00",
        "chances_of_success_pct": "20.00",
        "activity": "INTRO",
        "quote_required": False,
        "allow_skip": False,
        "date_formula": "1M",
    }


def test_creating_a_sales_cycle(manager_api, db):
    response = manager_api.post(
        f"{API}/sales-cycles/",
        {"code": "EXISTING", "description": "Existing customers", "probability_calculation": "add"},
    )

    assert response.status_code == 201, response.content
    assert response.json() == {
        "code": "EXISTING",
        "description": "Existing customers",
        "probability_calculation": "add",
        "blocked": False,
        "stages": [],
    }
    assert SalesCycle.objects.get(code="EXISTING").probability_calculation == "add"


def test_blocking_a_sales_cycle(manager_api, cycle):
    response = manager_api.patch(f"{API}/sales-cycles/NEW/", {"blocked": True})

    assert response.status_code == 200, response.content
    assert response.json()["blocked"] is True
    assert len(response.json()["stages"]) == 5
    cycle.refresh_from_db()
    assert cycle.blocked is True


def test_stages_are_read_only_in_a_sales_cycle(manager_api, cycle):
    response = manager_api.patch(f"{API}/sales-cycles/NEW/", {"description": "Changed", "stages": []})

    assert response.status_code == 200, response.content
    assert cycle.stages.count() == 5


def test_the_code_of_a_sales_cycle_cannot_change(manager_api, cycle):
    before = setup_state()

    refused = manager_api.patch(f"{API}/sales-cycles/NEW/", {"code": "OLD"})
    same = manager_api.patch(f"{API}/sales-cycles/NEW/", {"code": "NEW", "description": "New customers"})

    assert refused.status_code == 400
    assert set(refused.json()) == {"code"}
    assert same.status_code == 200, same.content
    assert setup_state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "new-cycle", "description": "Lower case"}, "code"),
        ({"code": "NEW CYCLE", "description": "Space"}, "code"),
        ({"code": "X" * 21, "description": "Too long"}, "code"),
        ({"code": "NEW", "description": "Already there"}, "code"),
        ({"description": "No code"}, "code"),
        ({"code": "LONG", "description": "x" * 101}, "description"),
        (
            {"code": "CALC", "description": "Unknown method", "probability_calculation": "divide"},
            "probability_calculation",
        ),
        ({"code": "EXTRA", "description": "Unknown field", "colour": "red"}, "colour"),
    ],
)
def test_invalid_sales_cycles_are_refused_with_a_field_error(manager_api, cycle, body, field):
    before = setup_state()

    response = manager_api.post(f"{API}/sales-cycles/", body)

    assert response.status_code == 400
    assert field in response.json()
    assert setup_state() == before


def test_a_body_that_is_not_an_object_is_a_400(manager_api, db):
    response = manager_api.post(f"{API}/sales-cycles/", ["NEW"])

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_deleting_an_unused_sales_cycle_removes_its_stages(manager_api, unused_cycle):
    response = manager_api.delete(f"{API}/sales-cycles/SPARE/")

    assert response.status_code == 204
    assert not SalesCycle.objects.filter(code="SPARE").exists()
    assert not SalesCycleStage.objects.filter(sales_cycle_id=unused_cycle.pk).exists()


def test_a_sales_cycle_with_open_opportunities_cannot_be_deleted(manager_api, start):
    start(activate=False)
    before = setup_state()

    response = manager_api.delete(f"{API}/sales-cycles/NEW/")

    assert_refused(response, 409, "sales_cycle_in_use")
    assert "NEW" in response.json()["detail"]
    assert setup_state() == before


def test_a_sales_cycle_in_the_history_of_closed_opportunities_cannot_be_deleted(manager_api, start, rep, lost_code):
    opportunity_close(opportunity=start(), user=rep.user, outcome="lost", close_code=lost_code)
    before = setup_state()

    response = manager_api.delete(f"{API}/sales-cycles/NEW/")

    assert_refused(response, 409, "sales_cycle_has_history")
    assert setup_state() == before


def test_refusals_speak_the_language_of_the_request(manager_api, start):
    start(activate=False)

    response = manager_api.delete(f"{API}/sales-cycles/NEW/", HTTP_ACCEPT_LANGUAGE="de")

    assert_refused(response, 409, "sales_cycle_in_use")
    assert "Verkaufsprozess" in response.json()["detail"]


def test_sales_cycles_filter_search_and_order(rep_api, cycle, unused_cycle):
    SalesCycleFactory(code="OLD", description="Retired", blocked=True)

    def codes(query: str) -> list[str]:
        return [row["code"] for row in results(rep_api.get(f"{API}/sales-cycles/?{query}"))]

    assert codes("") == ["NEW", "OLD", "SPARE"]
    assert codes("blocked=true") == ["OLD"]
    assert codes("blocked=false") == ["NEW", "SPARE"]
    assert codes("search=retired") == ["OLD"]
    assert codes("search=sp") == ["SPARE"]
    assert codes("ordering=-code") == ["SPARE", "OLD", "NEW"]
    assert codes("ordering=description") == ["NEW", "OLD", "SPARE"]
    assert rep_api.get(f"{API}/sales-cycles/?probability_calculation=divide").status_code == 400


# --- stages -----------------------------------------------------------------------------------


def test_the_stages_of_a_cycle_are_listed_in_order(rep_api, cycle, unused_cycle):
    StageFactory(sales_cycle=cycle, stage=4)

    response = rep_api.get(f"{API}/sales-cycles/NEW/stages/")

    assert response.json()["count"] == 6
    assert [row["stage"] for row in results(response)] == [1, 2, 3, 4, 5, 7]


def test_one_stage(plain_api, cycle):
    response = plain_api.get(f"{API}/sales-cycles/NEW/stages/3/")

    assert response.status_code == 200
    assert response.json()["description"] == "Proposal"
    assert response.json()["quote_required"] is True


def test_adding_a_stage_with_every_field(manager_api, cycle):
    body = {
        "stage": 6,
        "description": "Demo",
        "completed_pct": "85.50",
        "chances_of_success_pct": "70",
        "activity": "INTRO",
        "quote_required": True,
        "allow_skip": True,
        "date_formula": "1M+10D",
    }

    response = manager_api.post(f"{API}/sales-cycles/NEW/stages/", body)

    assert response.status_code == 201, response.content
    assert response.json() == {**body, "chances_of_success_pct": "70.00"}
    stage = cycle.stages.get(stage=6)
    assert (stage.activity.code, stage.completed_pct, stage.date_formula) == ("INTRO", Decimal("85.50"), "1M+10D")
    assert [row["stage"] for row in manager_api.get(f"{API}/sales-cycles/NEW/").json()["stages"]] == [1, 2, 3, 5, 6, 7]


def test_the_same_stage_number_may_be_used_by_another_cycle(manager_api, cycle, unused_cycle):
    response = manager_api.post(f"{API}/sales-cycles/SPARE/stages/", {"stage": 2, "description": "Second"})

    assert response.status_code == 201, response.content
    assert unused_cycle.stages.count() == 2


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"stage": 3, "description": "Again"}, "stage", "already has a stage 3"),
        ({"stage": 0, "description": "Zero"}, "stage", None),
        ({"stage": -1, "description": "Negative"}, "stage", None),
        ({"stage": 99999999999999999999, "description": "Huge"}, "stage", None),
        ({"stage": 2147483648, "description": "Beyond PostgreSQL's integer"}, "stage", None),
        ({"stage": "four", "description": "Words"}, "stage", None),
        ({"description": "No number"}, "stage", None),
        ({"stage": 4, "description": "x" * 101}, "description", None),
        ({"stage": 4, "description": "Pct", "completed_pct": "101"}, "completed_pct", None),
        ({"stage": 4, "description": "Pct", "chances_of_success_pct": "-1"}, "chances_of_success_pct", None),
        ({"stage": 4, "description": "Pct", "chances_of_success_pct": "1e400"}, "chances_of_success_pct", None),
        ({"stage": 4, "description": "Pct", "completed_pct": "NaN"}, "completed_pct", None),
        ({"stage": 4, "description": "Formula", "date_formula": "next week"}, "date_formula", "1M+10D"),
        ({"stage": 4, "description": "Formula", "date_formula": "9999Y"}, "date_formula", None),
        ({"stage": 4, "description": "Activity", "activity": "NOPE"}, "activity", None),
        ({"stage": 4, "description": "Extra", "sales_cycle": "SPARE"}, "sales_cycle", None),
    ],
)
def test_invalid_stages_are_refused_with_a_field_error(manager_api, cycle, body, field, message):
    before = setup_state()

    response = manager_api.post(f"{API}/sales-cycles/NEW/stages/", body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert message in response.json()[field][0]
    assert setup_state() == before


def test_a_stage_is_renumbered_and_changed(manager_api, cycle):
    stage = cycle.stages.get(stage=7)

    response = manager_api.patch(
        f"{API}/sales-cycles/NEW/stages/7/", {"stage": 6, "allow_skip": True, "activity": "INTRO"}
    )

    assert response.status_code == 200, response.content
    stage.refresh_from_db()
    assert (stage.stage, stage.allow_skip, stage.activity.code) == (6, True, "INTRO")
    assert manager_api.get(f"{API}/sales-cycles/NEW/stages/7/").status_code == 404


def test_a_stage_keeps_its_own_number_and_loses_its_activity(manager_api, cycle):
    response = manager_api.patch(f"{API}/sales-cycles/NEW/stages/1/", {"stage": 1, "activity": None})

    assert response.status_code == 200, response.content
    assert cycle.stages.get(stage=1).activity is None


def test_a_stage_cannot_take_the_number_of_another(manager_api, cycle):
    before = setup_state()

    response = manager_api.patch(f"{API}/sales-cycles/NEW/stages/7/", {"stage": 5})

    assert response.status_code == 400
    assert list(response.json()) == ["stage"]
    assert setup_state() == before


def test_deleting_an_unused_stage(manager_api, cycle):
    response = manager_api.delete(f"{API}/sales-cycles/NEW/stages/7/")

    assert response.status_code == 204
    assert list(cycle.stages.values_list("stage", flat=True)) == [1, 2, 3, 5]


def test_a_stage_with_active_entries_cannot_be_deleted(manager_api, start):
    start()
    before = setup_state()

    response = manager_api.delete(f"{API}/sales-cycles/NEW/stages/1/")

    assert_refused(response, 409, "stage_in_use")
    assert setup_state() == before


def test_a_stage_in_the_history_cannot_be_deleted(manager_api, start, rep, won_code):
    opportunity_close(opportunity=start(), user=rep.user, outcome="won", close_code=won_code)
    before = setup_state()

    response = manager_api.delete(f"{API}/sales-cycles/NEW/stages/1/")

    assert_refused(response, 409, "stage_has_history")
    assert setup_state() == before


# --- close codes -------------------------------------------------------------------------------


def test_close_codes_filter_search_and_order(plain_api, won_code, lost_code):
    CloseCodeFactory(code="WON-REL", description="Relationship", type="won")

    def codes(query: str) -> list[str]:
        return [row["code"] for row in results(plain_api.get(f"{API}/close-codes/?{query}"))]

    assert codes("ordering=code") == ["LOST-COMP", "WON-PRICE", "WON-REL"]
    assert codes("type=won&ordering=code") == ["WON-PRICE", "WON-REL"]
    assert codes("search=competitor") == ["LOST-COMP"]
    assert codes("ordering=-code") == ["WON-REL", "WON-PRICE", "LOST-COMP"]
    assert plain_api.get(f"{API}/close-codes/?type=draw").status_code == 400


def test_creating_a_close_code(manager_api, db):
    response = manager_api.post(f"{API}/close-codes/", {"code": "WON-FAST", "description": "Fast", "type": "won"})

    assert response.status_code == 201, response.content
    assert response.json() == {"code": "WON-FAST", "description": "Fast", "type": "won"}
    assert CloseOpportunityCode.objects.get(code="WON-FAST").type == "won"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "won-fast", "description": "Lower case", "type": "won"}, "code"),
        ({"code": "WON-PRICE", "description": "Twice", "type": "won"}, "code"),
        ({"code": "DRAW", "description": "No such type", "type": "draw"}, "type"),
        ({"code": "NOTYPE", "description": "No type"}, "type"),
    ],
)
def test_invalid_close_codes_are_refused(manager_api, won_code, body, field):
    before = setup_state()

    response = manager_api.post(f"{API}/close-codes/", body)

    assert response.status_code == 400
    assert field in response.json()
    assert setup_state() == before


def test_the_type_of_an_unused_close_code_can_change(manager_api, won_code):
    response = manager_api.patch(f"{API}/close-codes/WON-PRICE/", {"type": "lost"})

    assert response.status_code == 200, response.content
    won_code.refresh_from_db()
    assert won_code.type == "lost"


def test_the_type_of_a_close_code_in_use_cannot_change(manager_api, start, rep, won_code):
    opportunity_close(opportunity=start(), user=rep.user, outcome="won", close_code=won_code)
    before = setup_state()

    response = manager_api.patch(f"{API}/close-codes/WON-PRICE/", {"type": "lost", "description": "Changed"})

    assert_refused(response, 409, "close_code_type_locked")
    assert "WON-PRICE" in response.json()["detail"]
    assert setup_state() == before


def test_the_description_of_a_close_code_in_use_can_change(manager_api, start, rep, won_code):
    opportunity_close(opportunity=start(), user=rep.user, outcome="won", close_code=won_code)

    response = manager_api.patch(f"{API}/close-codes/WON-PRICE/", {"type": "won", "description": "Price"})

    assert response.status_code == 200, response.content
    won_code.refresh_from_db()
    assert (won_code.type, won_code.description) == ("won", "Price")


def test_a_close_code_in_use_cannot_be_deleted(manager_api, start, rep, won_code):
    opportunity_close(opportunity=start(), user=rep.user, outcome="won", close_code=won_code)
    before = setup_state()

    response = manager_api.delete(f"{API}/close-codes/WON-PRICE/")

    assert_refused(response, 409, "close_code_in_use")
    assert setup_state() == before


# --- activities --------------------------------------------------------------------------------


def test_an_activity_shows_its_steps_in_order(rep_api, cycle):
    body = rep_api.get(f"{API}/activities/INTRO/").json()

    assert body == {
        "code": "INTRO",
        "description": "Introduction",
        "steps": [
            {"step_no": 1, "type": "phone_call", "priority": "normal", "description": "Call", "date_formula": "2D"},
            {"step_no": 2, "type": "meeting", "priority": "high", "description": "Meet", "date_formula": "1W"},
        ],
    }


def test_creating_an_activity_with_its_steps(manager_api, db):
    response = manager_api.post(
        f"{API}/activities/",
        {
            "code": "DEMO",
            "description": "Product demo",
            "steps": [
                {"step_no": 20, "type": "meeting", "description": "Demo", "date_formula": "1W"},
                {"step_no": 10, "description": "Prepare"},
            ],
        },
    )

    assert response.status_code == 201, response.content
    assert [step["step_no"] for step in response.json()["steps"]] == [10, 20]
    activity = Activity.objects.get(code="DEMO")
    assert list(activity.steps.values_list("step_no", "type", "priority", "date_formula")) == [
        (10, "task", "normal", ""),
        (20, "meeting", "normal", "1W"),
    ]


def test_an_activity_with_steps_from_a_form(manager_api, db):
    response = manager_api.post(
        f"{API}/activities/",
        {"code": "FORM", "description": "From a form", "steps[0]step_no": "1", "steps[0]description": "Call"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert [(step["step_no"], step["description"]) for step in response.json()["steps"]] == [(1, "Call")]


def test_an_activity_without_steps(manager_api, db):
    response = manager_api.post(f"{API}/activities/", {"code": "NOTHING", "description": "Nothing to do"})

    assert response.status_code == 201, response.content
    assert response.json()["steps"] == []


def test_steps_in_a_change_replace_all_the_steps(manager_api, cycle):
    response = manager_api.patch(
        f"{API}/activities/INTRO/", {"steps": [{"step_no": 5, "type": "task", "description": "Send brochure"}]}
    )

    assert response.status_code == 200, response.content
    assert response.json()["steps"] == [
        {"step_no": 5, "type": "task", "priority": "normal", "description": "Send brochure", "date_formula": ""}
    ]
    assert list(ActivityStep.objects.filter(activity__code="INTRO").values_list("step_no", flat=True)) == [5]


def test_a_change_without_steps_keeps_them(manager_api, cycle):
    response = manager_api.patch(f"{API}/activities/INTRO/", {"description": "First contact"})

    assert response.status_code == 200, response.content
    assert len(response.json()["steps"]) == 2
    assert ActivityStep.objects.filter(activity__code="INTRO").count() == 2


def test_an_empty_steps_list_removes_the_steps(manager_api, cycle):
    response = manager_api.patch(f"{API}/activities/INTRO/", {"steps": []})

    assert response.status_code == 200, response.content
    assert not ActivityStep.objects.filter(activity__code="INTRO").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"steps": [{"step_no": 1, "description": "A"}, {"step_no": 1, "description": "B"}]}, "steps"),
        ({"steps": [{"step_no": 1, "description": "A", "date_formula": "soon"}]}, "steps"),
        ({"steps": [{"step_no": 1, "description": "A", "type": "email"}]}, "steps"),
        ({"steps": [{"step_no": 1, "description": "A", "priority": "urgent"}]}, "steps"),
        ({"steps": [{"step_no": 1}]}, "steps"),
        ({"steps": [{"step_no": 1, "description": "A", "extra": True}]}, "steps"),
        ({"steps": [{"step_no": 99999999999, "description": "A"}]}, "steps"),
        ({"steps": {"step_no": 1}}, "steps"),
        ({"code": "OTHER"}, "code"),
        ({"description": ""}, "description"),
    ],
)
def test_invalid_activity_changes_are_refused(manager_api, cycle, body, field):
    before = setup_state()

    response = manager_api.patch(f"{API}/activities/INTRO/", body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert setup_state() == before


def test_a_repeated_step_number_is_named(manager_api, cycle):
    response = manager_api.patch(
        f"{API}/activities/INTRO/",
        {"steps": [{"step_no": 3, "description": "A"}, {"step_no": 3, "description": "B"}]},
    )

    assert response.json() == {"steps": ["Step 3 appears more than once."]}


def test_deleting_an_activity_leaves_its_stages_without_one(manager_api, cycle):
    response = manager_api.delete(f"{API}/activities/INTRO/")

    assert response.status_code == 204
    assert cycle.stages.get(stage=1).activity is None
    assert not ActivityStep.objects.exists()


def test_activities_search_and_order(plain_api, cycle):
    ActivityFactory(code="DEMO", description="Product demo")

    def codes(query: str) -> list[str]:
        return [row["code"] for row in results(plain_api.get(f"{API}/activities/?{query}"))]

    assert codes("") == ["DEMO", "INTRO"]
    assert codes("search=introduction") == ["INTRO"]
    assert codes("ordering=-code") == ["INTRO", "DEMO"]


# --- pagination and query counts ---------------------------------------------------------------


def test_page_size_is_taken_and_capped_at_500(rep_api, db):
    CloseOpportunityCode.objects.bulk_create(
        CloseOpportunityCode(code=f"C{n:04d}", description="Bulk", type="won") for n in range(502)
    )

    assert len(results(rep_api.get(f"{API}/close-codes/?page_size=2"))) == 2
    assert len(results(rep_api.get(f"{API}/close-codes/?page_size=1000"))) == 500
    assert len(results(rep_api.get(f"{API}/close-codes/"))) == 50
    second = rep_api.get(f"{API}/close-codes/?page_size=500&page=2").json()
    assert (second["count"], len(second["results"]), second["next"]) == (502, 2, None)


def make_cycles(count: int) -> None:
    """Cycles of three stages each, every stage naming an activity of two steps; a close code each."""
    for _ in range(count):
        cycle = SalesCycleFactory()
        activity = ActivityFactory()
        ActivityStepFactory(activity=activity, step_no=1)
        ActivityStepFactory(activity=activity, step_no=2)
        for number in (1, 2, 3):
            StageFactory(sales_cycle=cycle, stage=number, activity=activity)
        CloseCodeFactory()


# token + count + page, plus one query per prefetched relation
LIST_QUERIES = {
    "/sales-cycles/": 5,
    "/sales-cycles/{code}/stages/": 4,
    "/close-codes/": 3,
    "/activities/": 4,
}


@pytest.mark.parametrize("path", LIST_QUERIES)
def test_list_queries_do_not_grow_with_the_data_or_the_page_size(rep_api, django_assert_max_num_queries, path):
    make_cycles(3)
    first = SalesCycle.objects.order_by("code").first().code
    url = API + path.format(code=first)
    counts = []

    def get(page_size: int) -> dict:
        with django_assert_max_num_queries(LIST_QUERIES[path]) as captured:
            response = rep_api.get(f"{url}?page_size={page_size}")
        assert response.status_code == 200
        counts.append(len(captured))
        return response.json()

    assert get(10)["count"] == 3
    get(100)
    make_cycles(30)
    for number in range(4, 31):
        StageFactory(sales_cycle=SalesCycle.objects.get(code=first), stage=number, activity=Activity.objects.last())
    for page_size in (10, 100):
        body = get(page_size)
        assert body["count"] >= 30
        assert len(body["results"]) == min(page_size, body["count"])
    assert len(set(counts)) == 1, counts
