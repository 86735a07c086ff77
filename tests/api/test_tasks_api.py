"""``tasks/`` and ``tasks/{no}/`` (SPEC §7): list with filters, create, retrieve, PATCH, and who may."""

import datetime

import pytest
from django.utils import timezone

from opportunities import services
from opportunities.models import Task
from tests.api.opportunity_helpers import bring_to, task_url, tasks_url, viewer_client
from tests.factories import OpportunityFactory, PersonFactory


def _tasks() -> list[dict]:
    return list(Task.objects.order_by("id").values())


def assert_task_refused(call, *, status: int, code: str) -> dict:
    """``call()`` answers ``status`` with ``{"detail", "code"}`` and no task changes or appears."""
    before = _tasks()
    response = call()
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    assert _tasks() == before
    return body


def assert_task_field_errors(call, *fields: str) -> dict:
    before = _tasks()
    response = call()
    assert response.status_code == 400, response.content
    body = response.json()
    for field in fields:
        assert body.get(field), body
    assert _tasks() == before
    return body


@pytest.fixture
def started(opportunity, rep):
    """The rep's opportunity at stage 1 (activated 2026-01-10): its activity made two tasks."""
    return bring_to(opportunity, "first", user=rep.user)


@pytest.fixture
def task(started) -> Task:
    """The phone call of stage 1's activity, due 2026-01-12."""
    return Task.objects.get(opportunity=started, type="phone_call")


@pytest.fixture
def others_task(other_rep):
    return services.task_create(
        user=other_rep.user, description="Otto's call", date=datetime.date(2026, 1, 15), contact=PersonFactory()
    )


def _nos(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["no"] for row in response.json()["results"]]


# --- list ----------------------------------------------------------------------------------------


def test_the_list_shows_a_task_with_natural_keys_and_iso_dates(rep_api, started, task):
    response = rep_api.get(tasks_url())

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    row = body["results"][0]
    assert row == {
        "no": task.no,
        "type": "phone_call",
        "description": "Call",
        "date": "2026-01-12",
        "priority": "normal",
        "status": "not_started",
        "closed": False,
        "canceled": False,
        "date_closed": None,
        "salesperson": "REP",
        "contact": started.contact.no,
        "opportunity": started.no,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    assert row["no"].startswith("TD")


def test_tasks_are_listed_by_date(rep_api, started):
    rows = rep_api.get(tasks_url()).json()["results"]

    assert [(row["description"], row["date"]) for row in rows] == [("Call", "2026-01-12"), ("Meet", "2026-01-17")]


def test_a_rep_lists_only_their_own_tasks(rep_api, task, others_task):
    assert others_task.no not in _nos(rep_api.get(tasks_url()))
    assert task.no in _nos(rep_api.get(tasks_url()))


def test_another_rep_lists_only_theirs(other_rep_api, task, others_task):
    assert _nos(other_rep_api.get(tasks_url())) == [others_task.no]


def test_a_manager_lists_every_task(manager_api, task, others_task):
    assert len(_nos(manager_api.get(tasks_url()))) == 3


def test_a_user_without_a_salesperson_gets_an_empty_task_list(plain_api, task, others_task):
    assert plain_api.get(tasks_url()).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_an_anonymous_request_for_the_task_list_is_answered_401(anon_api, task):
    assert anon_api.get(tasks_url()).status_code == 401


@pytest.fixture
def task_board(started, rep, other_rep, manager):
    """The two stage-1 tasks of the rep's opportunity, a completed standalone one, and one of another rep."""
    standalone = services.task_create(
        user=rep.user,
        description="Send brochure",
        date=datetime.date(2026, 2, 20),
        type="task",
        priority="high",
        contact=started.contact,
    )
    services.task_update(task=standalone, user=rep.user, status="completed")
    foreign = services.task_create(
        user=other_rep.user, description="Visit trade fair", date=datetime.date(2026, 3, 1), type="meeting"
    )
    call = Task.objects.get(opportunity=started, type="phone_call")
    meeting = Task.objects.get(opportunity=started, type="meeting")
    return {"call": call, "meeting": meeting, "standalone": standalone, "foreign": foreign, "opportunity": started}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=completed", {"standalone"}),
        ("status=not_started", {"call", "meeting", "foreign"}),
        ("type=meeting", {"meeting", "foreign"}),
        ("priority=high", {"meeting", "standalone"}),
        ("closed=true", {"standalone"}),
        ("closed=false", {"call", "meeting", "foreign"}),
        ("salesperson=OTHER", {"foreign"}),
        ("contact={contact}", {"call", "meeting", "standalone"}),
        ("opportunity={opportunity}", {"call", "meeting"}),
        ("date_after=2026-01-15", {"meeting", "standalone", "foreign"}),
        ("date_before=2026-01-17", {"call", "meeting"}),
        ("date_after=2026-01-13&date_before=2026-02-28", {"meeting", "standalone"}),
        ("search=brochure", {"standalone"}),
    ],
)
def test_the_task_list_filters(query, expected, manager_api, task_board):
    opportunity = task_board["opportunity"]
    query = query.format(contact=opportunity.contact.no, opportunity=opportunity.no)

    response = manager_api.get(f"{tasks_url()}?{query}")

    assert set(_nos(response)) == {task_board[name].no for name in expected}


def test_the_task_list_searches_by_number(manager_api, task_board):
    no = task_board["foreign"].no

    assert _nos(manager_api.get(f"{tasks_url()}?search={no}")) == [no]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("date", ["call", "meeting", "standalone", "foreign"]),
        ("-date", ["foreign", "standalone", "meeting", "call"]),
        ("-no", ["foreign", "standalone", "meeting", "call"]),
    ],
)
def test_the_task_list_orders(ordering, expected, manager_api, task_board):
    assert _nos(manager_api.get(f"{tasks_url()}?ordering={ordering}")) == [task_board[name].no for name in expected]


def test_task_filters_never_widen_what_a_rep_sees(rep_api, task_board):
    assert _nos(rep_api.get(f"{tasks_url()}?salesperson=OTHER")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("type=fax", "type"),
        ("priority=urgent", "priority"),
        ("date_after=notadate", "date"),
        ("date_before=2026-02-30", "date"),
        ("opportunity=" + "X" * 21, "opportunity"),
    ],
)
def test_an_invalid_task_filter_value_is_answered_400(query, field, manager_api, task_board):
    response = manager_api.get(f"{tasks_url()}?{query}")

    assert response.status_code == 400, response.content
    assert field in response.json()


def test_the_task_list_pages(rep_api, task_board):
    first = rep_api.get(f"{tasks_url()}?page_size=2").json()
    second = rep_api.get(first["next"]).json()

    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert (len(second["results"]), second["next"]) == (1, None)
    assert second["previous"] is not None


# --- create --------------------------------------------------------------------------------------


def test_a_rep_creates_a_task_for_themselves(rep_api, rep):
    contact = PersonFactory()

    response = rep_api.post(
        tasks_url(),
        {
            "description": "Call back",
            "date": "2026-03-05",
            "type": "phone_call",
            "priority": "high",
            "contact": contact.no,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["no"].startswith("TD")
    assert (body["description"], body["date"], body["type"], body["priority"]) == (
        "Call back",
        "2026-03-05",
        "phone_call",
        "high",
    )
    assert (body["salesperson"], body["contact"], body["opportunity"]) == ("REP", contact.no, None)
    assert (body["status"], body["closed"], body["canceled"]) == ("not_started", False, False)
    assert Task.objects.get(no=body["no"]).salesperson == rep


def test_a_task_of_an_opportunity_takes_its_contact_and_salesperson(rep_api, started):
    response = rep_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05", "opportunity": started.no})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["opportunity"], body["contact"], body["salesperson"]) == (started.no, started.contact.no, "REP")
    assert (body["type"], body["priority"]) == ("task", "normal")


def test_a_manager_creates_a_task_for_any_salesperson(manager_api, other_rep):
    response = manager_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05", "salesperson": "OTHER"})

    assert response.status_code == 201, response.content
    assert response.json()["salesperson"] == "OTHER"


def test_a_manager_creates_a_task_on_a_reps_opportunity_for_that_rep(manager_api, started):
    response = manager_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05", "opportunity": started.no})

    assert response.status_code == 201, response.content
    assert response.json()["salesperson"] == "REP"


def test_a_manager_without_a_salesperson_must_name_one(manager_api, db):
    assert_task_refused(
        lambda: manager_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05"}),
        status=409,
        code="salesperson_required",
    )


def test_a_rep_cannot_create_a_task_for_another_salesperson(rep_api, other_rep):
    assert_task_refused(
        lambda: rep_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05", "salesperson": "OTHER"}),
        status=403,
        code="cannot_assign_other_salesperson",
    )


def test_a_rep_cannot_give_a_task_on_their_opportunity_to_another_salesperson(rep_api, other_rep, started):
    assert_task_refused(
        lambda: rep_api.post(
            tasks_url(),
            {"description": "Demo", "date": "2026-03-05", "opportunity": started.no, "salesperson": "OTHER"},
        ),
        status=403,
        code="cannot_assign_other_salesperson",
    )


def test_an_opportunity_the_rep_may_not_see_is_unknown_to_them(other_rep_api, started):
    body = assert_task_field_errors(
        lambda: other_rep_api.post(
            tasks_url(), {"description": "Demo", "date": "2026-03-05", "opportunity": started.no}
        ),
        "opportunity",
    )

    assert body["opportunity"] == ["Unknown opportunity."]


def test_a_rep_who_may_only_see_anothers_opportunity_cannot_add_tasks_to_it(started):
    viewer_api = viewer_client()

    assert_task_refused(
        lambda: viewer_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05", "opportunity": started.no}),
        status=403,
        code="permission_denied",
    )


@pytest.mark.parametrize("status", ["won", "lost"])
def test_a_closed_opportunity_takes_no_new_tasks(status, rep_api, opportunity, rep, won_code, lost_code):
    bring_to(opportunity, status, user=rep.user, won_code=won_code, lost_code=lost_code)

    assert_task_refused(
        lambda: rep_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05", "opportunity": opportunity.no}),
        status=409,
        code="opportunity_closed",
    )


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"description": None, "date": None}, ["description", "date"]),
        ({"description": "  "}, ["description"]),
        ({"description": "x" * 101}, ["description"]),
        ({"date": "notadate"}, ["date"]),
        ({"type": "fax"}, ["type"]),
        ({"priority": "urgent"}, ["priority"]),
        ({"contact": "CT999999"}, ["contact"]),
        ({"salesperson": "NOPE"}, ["salesperson"]),
        ({"opportunity": "OP999999"}, ["opportunity"]),
    ],
)
def test_invalid_task_input_is_answered_with_field_errors(changes, fields, rep_api, rep):
    body = {"description": "Demo", "date": "2026-03-05", **changes}
    body = {key: value for key, value in body.items() if value is not None}

    assert_task_field_errors(lambda: rep_api.post(tasks_url(), body), *fields)


def test_a_user_without_a_salesperson_cannot_create_tasks(plain_api, db):
    assert_task_refused(
        lambda: plain_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05"}),
        status=403,
        code="permission_denied",
    )


def test_an_anonymous_task_create_is_answered_401(anon_api, db):
    assert_task_refused(
        lambda: anon_api.post(tasks_url(), {"description": "Demo", "date": "2026-03-05"}),
        status=401,
        code="not_authenticated",
    )


# --- retrieve ------------------------------------------------------------------------------------


@pytest.mark.parametrize("client_name", ["rep_api", "manager_api"])
def test_the_owning_rep_and_a_manager_retrieve_a_task(client_name, request, task):
    response = request.getfixturevalue(client_name).get(task_url(task.no))

    assert response.status_code == 200
    assert (response.json()["no"], response.json()["salesperson"]) == (task.no, "REP")


@pytest.mark.parametrize("client_name", ["other_rep_api", "plain_api"])
def test_a_task_the_user_may_not_see_is_answered_404(client_name, request, task):
    assert request.getfixturevalue(client_name).get(task_url(task.no)).status_code == 404


def test_an_unknown_task_is_answered_404(manager_api, db):
    assert manager_api.get(task_url("TD999999")).status_code == 404


def test_an_anonymous_request_for_a_task_is_answered_401(anon_api, task):
    assert anon_api.get(task_url(task.no)).status_code == 401


# --- PATCH ---------------------------------------------------------------------------------------


def test_the_owning_rep_changes_a_task(rep_api, task):
    contact = PersonFactory()

    response = rep_api.patch(
        task_url(task.no),
        {
            "description": "Call again",
            "date": "2026-02-02",
            "priority": "low",
            "type": "meeting",
            "status": "in_progress",
            "contact": contact.no,
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["description"], body["date"], body["priority"], body["type"], body["status"]) == (
        "Call again",
        "2026-02-02",
        "low",
        "meeting",
        "in_progress",
    )
    assert (body["contact"], body["closed"]) == (contact.no, False)
    task.refresh_from_db()
    assert (task.description, task.contact) == ("Call again", contact)


def test_completing_a_task_closes_it(rep_api, task):
    response = rep_api.patch(task_url(task.no), {"status": "completed"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["closed"], body["canceled"]) == ("completed", True, False)
    assert body["date_closed"] == timezone.localdate().isoformat()


def test_a_completed_task_cannot_be_changed(rep_api, task):
    rep_api.patch(task_url(task.no), {"status": "completed"})

    assert_task_refused(
        lambda: rep_api.patch(task_url(task.no), {"status": "in_progress"}), status=409, code="task_closed"
    )


def test_a_task_canceled_with_its_opportunity_cannot_be_changed(rep_api, rep, lost_code, started, task):
    services.opportunity_close(opportunity=started, user=rep.user, outcome="lost", close_code=lost_code)

    assert_task_refused(
        lambda: rep_api.patch(task_url(task.no), {"description": "Revive"}), status=409, code="task_closed"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("closed", True),
        ("canceled", True),
        ("date_closed", "2026-01-01"),
        ("salesperson", "OTHER"),
        ("opportunity", "OP000001"),
        ("no", "TD777777"),
        ("colour", "red"),
    ],
)
def test_patching_a_read_only_or_unknown_task_field_is_answered_400(field, value, rep_api, other_rep, task):
    assert_task_field_errors(lambda: rep_api.patch(task_url(task.no), {field: value, "description": "Sneaky"}), field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "done"}, "status"),
        ({"date": "notadate"}, "date"),
        ({"description": ""}, "description"),
        ({"type": "fax"}, "type"),
        ({"priority": "urgent"}, "priority"),
        ({"contact": "CT999999"}, "contact"),
    ],
)
def test_invalid_task_changes_are_answered_with_field_errors(body, field, rep_api, task):
    assert_task_field_errors(lambda: rep_api.patch(task_url(task.no), body), field)


def test_another_rep_patching_the_reps_task_gets_404(other_rep_api, task):
    before = _tasks()

    assert other_rep_api.patch(task_url(task.no), {"description": "Mine"}).status_code == 404
    assert _tasks() == before


def test_a_user_without_a_salesperson_patching_a_task_gets_403(plain_api, task):
    assert_task_refused(
        lambda: plain_api.patch(task_url(task.no), {"description": "Mine"}), status=403, code="permission_denied"
    )


def test_a_rep_who_may_only_see_anothers_tasks_cannot_change_them(task):
    viewer_api = viewer_client()
    assert viewer_api.get(task_url(task.no)).status_code == 200

    assert_task_refused(
        lambda: viewer_api.patch(task_url(task.no), {"description": "Mine"}), status=403, code="permission_denied"
    )


def test_an_anonymous_task_patch_is_answered_401(anon_api, task):
    assert_task_refused(
        lambda: anon_api.patch(task_url(task.no), {"description": "Mine"}), status=401, code="not_authenticated"
    )


def test_a_manager_changes_a_reps_task(manager_api, task):
    response = manager_api.patch(task_url(task.no), {"priority": "high"})

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.priority == "high"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_tasks_are_neither_replaced_nor_deleted_through_the_api(method, rep_api, task):
    before = _tasks()

    response = getattr(rep_api, method)(task_url(task.no), {"description": "Gone"})

    assert response.status_code == 405
    assert _tasks() == before


def test_a_standalone_task_has_no_opportunity(rep_api, rep):
    response = rep_api.post(tasks_url(), {"description": "Admin", "date": "2026-03-05"})

    assert response.status_code == 201
    assert (response.json()["opportunity"], response.json()["contact"]) == (None, None)
    assert Task.objects.count() == 1


def test_a_task_is_created_for_a_not_started_opportunity_too(rep_api, rep, cycle):
    opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep)

    response = rep_api.post(
        tasks_url(), {"description": "Prepare", "date": "2026-03-05", "opportunity": opportunity.no}
    )

    assert response.status_code == 201, response.content
    assert response.json()["opportunity"] == opportunity.no


def test_ordering_tasks_by_priority_means_low_normal_high(rep_api, rep):
    for priority in ["high", "low", "normal"]:
        services.task_create(user=rep.user, description=priority, date=datetime.date(2026, 3, 1), priority=priority)

    ascending = rep_api.get(f"{tasks_url()}?ordering=priority").json()["results"]
    descending = rep_api.get(f"{tasks_url()}?ordering=-priority").json()["results"]

    assert [row["priority"] for row in ascending] == ["low", "normal", "high"]
    assert [row["priority"] for row in descending] == ["high", "normal", "low"]
