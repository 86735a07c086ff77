"""My tasks: open tasks by date, complete/postpone/cancel through the task services."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Task
from opportunities.services import opportunity_create, task_create
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _task(salesperson, *, days=0, description="Call back", **extra):
    return task_create(
        user=None,
        salesperson=salesperson,
        description=description,
        date=timezone.localdate() + datetime.timedelta(days=days),
        **extra,
    )


def _sections(response) -> dict[str, list[str]]:
    return {section["key"]: [task.description for task in section["tasks"]] for section in response.context["sections"]}


def test_a_rep_sees_their_open_tasks_grouped_into_overdue_today_and_upcoming(client, rep, other_rep):
    _task(rep, days=-2, description="Late call")
    _task(rep, days=0, description="Today's meeting", type="meeting", priority="high")
    _task(rep, days=3, description="Later task")
    _task(other_rep, days=0, description="Not mine")
    done = _task(rep, days=0, description="Done already")
    Task.objects.filter(pk=done.pk).update(closed=True, status="completed")
    client.force_login(rep.user)
    response = client.get(reverse("opportunities:tasks"))
    assert response.status_code == 200
    assert _sections(response) == {"overdue": ["Late call"], "today": ["Today's meeting"], "upcoming": ["Later task"]}
    content = response.content.decode()
    assert "Not mine" not in content
    assert "Meeting" in content and "High" in content


def test_closed_tasks_are_shown_on_request(client, rep):
    done = _task(rep, description="Done already")
    Task.objects.filter(pk=done.pk).update(closed=True, status="completed")
    client.force_login(rep.user)
    response = client.get(reverse("opportunities:tasks"), {"closed": "on"})
    assert _sections(response) == {"closed": ["Done already"]}


def test_a_manager_sees_everyones_tasks_and_filters_by_salesperson(client, manager, rep, other_rep):
    _task(rep, description="Rita's task")
    _task(other_rep, description="Otto's task")
    client.force_login(manager)
    everyone = client.get(reverse("opportunities:tasks"))
    assert set(_sections(everyone)["today"]) == {"Rita's task", "Otto's task"}
    one = client.get(reverse("opportunities:tasks"), {"salesperson": other_rep.pk})
    assert _sections(one) == {"today": ["Otto's task"]}


def test_a_rep_cannot_filter_on_another_salesperson(client, rep, other_rep):
    _task(other_rep, description="Otto's task")
    client.force_login(rep.user)
    response = client.get(reverse("opportunities:tasks"), {"salesperson": other_rep.pk})
    assert _sections(response) == {}
    assert 'name="salesperson"' not in response.content.decode()


def test_a_plain_user_sees_no_tasks(client, plain_user, rep):
    _task(rep)
    client.force_login(plain_user)
    response = client.get(reverse("opportunities:tasks"))
    assert response.status_code == 200
    assert response.context["sections"] == []


def test_anonymous_users_are_sent_to_the_login_page(client, rep):
    task = _task(rep)
    for url in (reverse("opportunities:tasks"), reverse("opportunities:task_complete", args=[task.no])):
        response = client.get(url) if url.endswith("/tasks/") else client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_tasks_created_by_a_stage_activity_appear(client, rep, cycle):
    opportunity_create(
        user=rep.user, description="Big deal", contact=PersonFactory(), sales_cycle=cycle, activate_first_stage=True
    )
    client.force_login(rep.user)
    response = client.get(reverse("opportunities:tasks"))
    descriptions = [d for tasks in _sections(response).values() for d in tasks]
    assert sorted(descriptions) == ["Call", "Meet"]


def test_completing_a_task_with_htmx_closes_it_and_returns_its_row(client, rep):
    task = _task(rep)
    client.force_login(rep.user)
    response = client.post(reverse("opportunities:task_complete", args=[task.no]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="task-{task.pk}"' in response.content.decode()
    task.refresh_from_db()
    assert task.closed and task.status == "completed" and task.date_closed == timezone.localdate()


def test_completing_without_htmx_redirects_back_with_a_message(client, rep):
    task = _task(rep)
    client.force_login(rep.user)
    response = client.post(reverse("opportunities:task_complete", args=[task.no]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("opportunities:tasks")
    assert f"Task {task.no} is completed." in response.content.decode()


def test_postponing_moves_the_task_to_the_chosen_date(client, rep):
    task = _task(rep, days=-1)
    new_date = timezone.localdate() + datetime.timedelta(days=7)
    client.force_login(rep.user)
    response = client.post(
        reverse("opportunities:task_postpone", args=[task.no]),
        {f"postpone-{task.pk}-date": new_date.isoformat()},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.date == new_date
    assert task.status == "postponed"
    assert not task.closed


def test_postponing_without_a_date_changes_nothing(client, rep):
    task = _task(rep, days=-1)
    before = (task.date, task.status)
    client.force_login(rep.user)
    response = client.post(reverse("opportunities:task_postpone", args=[task.no]), {}, headers={"HX-Request": "true"})
    assert "Choose the date" in response.content.decode()
    task.refresh_from_db()
    assert (task.date, task.status) == before


def test_canceling_closes_the_task_as_canceled(client, rep):
    task = _task(rep)
    client.force_login(rep.user)
    client.post(reverse("opportunities:task_cancel", args=[task.no]), headers={"HX-Request": "true"})
    task.refresh_from_db()
    assert task.closed and task.canceled


@pytest.mark.parametrize("action", ["task_complete", "task_cancel", "task_postpone"])
def test_an_action_on_a_closed_task_is_refused_and_changes_nothing(client, rep, action):
    task = _task(rep)
    Task.objects.filter(pk=task.pk).update(closed=True, status="completed", date_closed=timezone.localdate())
    task.refresh_from_db()
    before = (task.status, task.date, task.canceled, task.updated_at)
    client.force_login(rep.user)
    new_date = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = client.post(
        reverse(f"opportunities:{action}", args=[task.no]),
        {f"postpone-{task.pk}-date": new_date},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "is closed and cannot be changed" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.date, task.canceled, task.updated_at) == before


def test_a_refusal_without_htmx_is_shown_as_a_message(client, rep):
    task = _task(rep)
    Task.objects.filter(pk=task.pk).update(closed=True, status="completed", date_closed=timezone.localdate())
    client.force_login(rep.user)
    response = client.post(reverse("opportunities:task_cancel", args=[task.no]), follow=True)
    assert "is closed and cannot be changed" in response.content.decode()
    task.refresh_from_db()
    assert not task.canceled


@pytest.mark.parametrize("action", ["task_complete", "task_cancel", "task_postpone"])
def test_another_reps_task_answers_404_and_stays_unchanged(client, rep, other_rep, action):
    task = _task(other_rep)
    client.force_login(rep.user)
    response = client.post(
        reverse(f"opportunities:{action}", args=[task.no]),
        {f"postpone-{task.pk}-date": "2030-01-01"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert not task.closed and task.status == "not_started"


def test_a_manager_completes_another_salespersons_task(client, manager, rep):
    task = _task(rep)
    client.force_login(manager)
    client.post(reverse("opportunities:task_complete", args=[task.no]), headers={"HX-Request": "true"})
    task.refresh_from_db()
    assert task.closed


def test_actions_need_post(client, rep):
    task = _task(rep)
    client.force_login(rep.user)
    assert client.get(reverse("opportunities:task_complete", args=[task.no])).status_code == 405


@pytest.mark.parametrize("persona", ["rep", "manager"])
@pytest.mark.parametrize("rows", [3, 30])
def test_the_tasks_page_costs_the_same_number_of_queries_whatever_its_length(
    client, request, persona, rows, rep, django_assert_max_num_queries
):
    contact = PersonFactory()
    for number in range(rows):
        _task(rep, days=number - rows // 2, description=f"Task {number}", contact=contact)
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    # session, user, profile language, permissions (2), salesperson, count, page (contacts,
    # opportunities and salespeople joined); a manager's salesperson filter adds one.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("opportunities:tasks"))
    assert sum(len(section["tasks"]) for section in response.context["sections"]) == rows
