"""Views: "My tasks" (see opportunities/urls.py).

Open tasks of the user by date (managers: everyone's, with a salesperson filter), grouped into
overdue, today and upcoming. Complete, postpone and cancel go through the task services; with
htmx the task's row is swapped in place, without it the page reloads with a message.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from common.errors import DomainError
from contacts.forms import SalespersonChoiceField
from contacts.models import Salesperson
from opportunities.models import Task
from opportunities.permissions import is_manager
from opportunities.services import task_cancel, task_update

PAGE_SIZE = 100


class TaskFilterForm(forms.Form):
    salesperson = SalespersonChoiceField(
        label=gettext_lazy("Salesperson"),
        required=False,
        queryset=Salesperson.objects.all(),
        empty_label=gettext_lazy("All salespeople"),
    )
    closed = forms.BooleanField(label=gettext_lazy("Show closed tasks too"), required=False)


class PostponeForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("New date"), widget=forms.DateInput(attrs={"type": "date"}))


def _section(task: Task, today: datetime.date) -> str:
    if task.closed:
        return "closed"
    if task.date < today:
        return "overdue"
    if task.date == today:
        return "today"
    return "upcoming"


SECTIONS = (
    ("overdue", gettext_lazy("Overdue")),
    ("today", gettext_lazy("Today")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("closed", gettext_lazy("Closed")),
)


@require_safe
def task_list(request):
    manager = is_manager(request.user)
    filters = TaskFilterForm(request.GET or None)
    if not manager:
        del filters.fields["salesperson"]
    tasks = Task.objects.visible_to(request.user).select_related("salesperson", "contact", "opportunity")
    show_closed = False
    if filters.is_bound and filters.is_valid():
        if filters.cleaned_data.get("salesperson"):
            tasks = tasks.filter(salesperson=filters.cleaned_data["salesperson"])
        show_closed = filters.cleaned_data["closed"]
    if not show_closed:
        tasks = tasks.open()
    # Open tasks first, by date (the index salesperson, closed, date serves a rep's page); closed
    # ones, when shown, after them.
    tasks = tasks.order_by("closed", "date", "no")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    grouped: dict[str, list[Task]] = {key: [] for key, _label in SECTIONS}
    for task in page.object_list:
        grouped[_section(task, today)].append(task)
    sections = [{"key": key, "label": label, "tasks": grouped[key]} for key, label in SECTIONS if grouped[key]]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "tasks/list.html",
        {
            "filters": filters,
            "page": page,
            "sections": sections,
            "query": query.urlencode(),
            "show_salesperson": manager,
            "today": today,
            "tomorrow": today + datetime.timedelta(days=1),
            "next_url": request.get_full_path(),
        },
    )


def _respond(request, task: Task, *, notice: str = "", error: str = "", postpone_form=None):
    """htmx: the task's row, with the outcome in it; otherwise back to the list with a message."""
    if request.headers.get("HX-Request"):
        today = timezone.localdate()
        return render(
            request,
            "tasks/_row.html",
            {
                "task": task,
                "notice": notice,
                "error": error,
                "postpone_form": postpone_form,
                "show_salesperson": is_manager(request.user),
                "today": today,
                "tomorrow": today + datetime.timedelta(days=1),
                "section": _section(task, today),
            },
        )
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("opportunities:tasks")


def _task(request, no: str) -> Task:
    # Another salesperson's task answers 404, as if it did not exist (SPEC §5).
    queryset = Task.objects.visible_to(request.user).select_related("salesperson", "contact", "opportunity")
    return get_object_or_404(queryset, no=no)


def _reloaded(task: Task) -> Task:
    return Task.objects.select_related("salesperson", "contact", "opportunity").get(pk=task.pk)


@require_POST
def task_complete(request, no: str):
    task = _task(request, no)
    try:
        task_update(task=task, user=request.user, status=Task.Status.COMPLETED)
    except DomainError as error:
        return _respond(request, _reloaded(task), error=error.message)
    return _respond(request, _reloaded(task), notice=_("Task %(no)s is completed.") % {"no": task.no})


@require_POST
def task_postpone(request, no: str):
    task = _task(request, no)
    form = PostponeForm(request.POST, prefix=f"postpone-{task.pk}")
    if not form.is_valid():
        return _respond(request, task, error=_("Choose the date to postpone the task to."), postpone_form=form)
    try:
        task_update(task=task, user=request.user, status=Task.Status.POSTPONED, date=form.cleaned_data["date"])
    except DomainError as error:
        return _respond(request, _reloaded(task), error=error.message)
    task = _reloaded(task)
    return _respond(
        request,
        task,
        notice=_("Task %(no)s is postponed to %(date)s.")
        % {"no": task.no, "date": date_format(task.date, "SHORT_DATE_FORMAT")},
    )


@require_POST
def task_cancel_view(request, no: str):
    task = _task(request, no)
    try:
        task_cancel(task=task, user=request.user)
    except DomainError as error:
        return _respond(request, _reloaded(task), error=error.message)
    return _respond(request, _reloaded(task), notice=_("Task %(no)s is canceled.") % {"no": task.no})


urlpatterns = [
    path("tasks/", task_list, name="tasks"),
    path("tasks/<str:no>/complete/", task_complete, name="task_complete"),
    path("tasks/<str:no>/postpone/", task_postpone, name="task_postpone"),
    path("tasks/<str:no>/cancel/", task_cancel_view, name="task_cancel"),
]
