"""Views: the opportunity detail page, its action dialogs and the quote editor (see opportunities/urls.py).

Each action is a dialog loaded with htmx into the page (the same view renders a full page without
JavaScript). A POST calls the service; a refusal is shown in the dialog with nothing changed, a
success redirects (``HX-Redirect`` for htmx) to the detail page or to a safe ``next`` URL (the board).
"""

import contextlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import linebreaksbr
from django.urls import NoReverseMatch, re_path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.errors import DomainError
from common.markup import fill
from common.templatetags.crm import money, percent
from opportunities import services
from opportunities.action_forms import ActivateForm, CloseForm, QuoteForm, QuoteLineFormSet, UpdateForm
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, Task
from opportunities.permissions import can_change_all, salesperson_of
from opportunities.services import UpdateAction
from salescycles.models import CloseOpportunityCode

Status = Opportunity.Status


# --- helpers ---------------------------------------------------------------------------------


def _get_opportunity(request, no: str) -> Opportunity:
    """The opportunity if the user may see it, else 404 (SPEC §5: not allowed answers as not found).

    Read with its contact, company, salesperson and close code, then its cycle's stages (with the
    cycle) in a second statement, which give its sales cycle and current stage as well: every page
    of it shows them. Two small statements plan in a fraction of the time of one seven-table join
    (``Opportunity.objects.for_list``). The stages, in order, are kept in ``cycle_stages``.
    """
    visible = Opportunity.objects.visible_to(request.user).select_related(
        "contact", "contact_company", "salesperson", "close_code"
    )
    opportunity = get_object_or_404(visible, no=no)
    opportunity.cycle_stages = services.cycle_stages(opportunity)
    return opportunity


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _redirect(request, url: str) -> HttpResponse:
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _submit(request, form, call, *, success: str, no: str) -> HttpResponse | None:
    """Run a dialog's service ``call()``: a refusal or field problem lands on the form (nothing
    changed); success redirects to the opportunity (or a safe ``next``) with ``success`` as message."""
    try:
        call()
    except DomainError as exc:
        form.add_error(None, exc.message)
    except ValidationError as exc:
        _add_errors(form, exc)
    else:
        messages.success(request, success)
        return _redirect(request, _safe_next(request, reverse("opportunities:detail", args=[no])))
    return None


def _reverse_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _add_errors(form, exc: ValidationError) -> None:
    """Field errors of a service's ValidationError next to their fields, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _can_change(user, opportunity: Opportunity) -> bool:
    if can_change_all(user):
        return True
    own = salesperson_of(user)
    return own is not None and own.pk == opportunity.salesperson_id


def _stages(opportunity: Opportunity) -> list:
    return opportunity.cycle_stages


def _stages_data(stages) -> str:
    """``stage:completed:chances`` triples for the live figures in opportunity.js."""
    return ",".join(f"{s.stage}:{s.completed_pct}:{s.chances_of_success_pct}" for s in stages)


def _render_dialog(request, opportunity, *, template: str, status: int = 200, **context) -> HttpResponse:
    context = {
        "opportunity": opportunity,
        "dialog_template": template,
        "next": _safe_next(request, ""),
        **context,
    }
    page = "opportunities/partials/dialog.html" if _is_htmx(request) else "opportunities/detail_action.html"
    return render(request, page, context, status=status)


# --- detail ----------------------------------------------------------------------------------

# One entry of the history; ``_timeline`` fills it in with ``common.markup.fill`` (each value
# escaped, as the template language would). Per entry in the template, its nine labels and twenty
# values were a third of the detail page's time.
ENTRY_HTML = """<li class="timeline-entry action-{action}{active_class}">
      <div class="timeline-head">
        <strong>{action_label}</strong>
        {where}
        <time datetime="{date_iso}">{date}</time>
      </div>
      <dl class="timeline-figures">
        <div><dt>{label_value}</dt><dd>{value}</dd></div>
        <div><dt>{label_chances}</dt><dd>{chances}</dd></div>
        <div><dt>{label_completed}</dt><dd>{completed}</dd></div>
        <div><dt>{label_probability}</dt><dd>{probability}</dd></div>
        <div><dt>{label_weighted}</dt><dd>{weighted}</dd></div>
        <div><dt>{label_closing}</dt><dd>{closing}</dd></div>
        <div><dt>{label_days}</dt><dd>{days}</dd></div>
      </dl>
      <p class="timeline-who">{who}</p>
      {note}
    </li>"""


def _short_date(date) -> str:
    return "—" if date is None else date_format(date, "SHORT_DATE_FORMAT")


def _timeline(entries: list) -> list[SafeString]:
    """The HTML of each entry of the history (newest first), the labels translated once."""
    labels = {
        "label_value": _("Estimated sales value"),
        "label_chances": _("Chances of success %"),
        "label_completed": _("Completed %"),
        "label_probability": _("Probability %"),
        "label_weighted": _("Weighted value"),
        "label_closing": _("Estimated closing date"),
        "label_days": _("Days open"),
    }
    actions = {value: str(label) for value, label in OpportunityEntry.Action.choices}
    stage_word, active_word = _("Stage"), _("active")
    html = []
    for entry in entries:
        if entry.stage is not None:
            where = fill("· {word} {no} ({text})", word=stage_word, no=entry.stage.stage, text=entry.stage.description)
        elif entry.close_code is not None:
            where = fill("· {code}", code=entry.close_code.code)
        else:
            where = ""
        when = date_format(timezone.localtime(entry.created_at), "SHORT_DATETIME_FORMAT")
        if entry.created_by is not None:
            who = entry.created_by.get_full_name() or entry.created_by.get_username()
            # As {% blocktranslate %}: the translated text as it is, the values escaped.
            by = _("by %(who)s, %(when)s") % {"who": escape(who), "when": escape(when)}
        else:
            by = _("by the system, %(when)s") % {"when": escape(when)}
        html.append(
            fill(
                ENTRY_HTML,
                action=entry.action_taken,
                active_class=" is-active" if entry.active else "",
                action_label=actions.get(entry.action_taken, entry.action_taken),
                where=where,
                date_iso=entry.date_of_change.isoformat(),
                date=_short_date(entry.date_of_change),
                value=money(entry.estimated_value),
                chances=percent(entry.chances_of_success_pct),
                completed=percent(entry.completed_pct),
                probability=percent(entry.probability_pct),
                weighted=money(entry.calculated_current_value),
                closing=_short_date(entry.estimated_close_date),
                days=active_word if entry.active else entry.days_open,
                who=mark_safe(by),  # its values are escaped above
                note=fill('<p class="timeline-note">{note}</p>', note=linebreaksbr(entry.note)) if entry.note else "",
                **labels,
            )
        )
    return html


def detail(request, no: str):
    opportunity = _get_opportunity(request, no)
    stages = _stages(opportunity)
    current_index = next((i for i, s in enumerate(stages) if s.pk == opportunity.current_stage_id), None)
    entries = list(
        OpportunityEntry.objects.filter(opportunity=opportunity)
        .select_related("stage", "close_code", "created_by")
        .order_by("-id")
    )
    tasks = list(Task.objects.filter(opportunity=opportunity).order_by("closed", "date", "no"))
    quote = (
        Quote.objects.filter(opportunity=opportunity)
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.order_by("line_no")))
        .first()
    )
    can_change = _can_change(request.user, opportunity)
    is_open = not opportunity.closed
    actions = {
        "activate": can_change and opportunity.status == Status.NOT_STARTED and bool(stages),
        "update": can_change and opportunity.status == Status.IN_PROGRESS,
        "close": can_change and is_open,
        # The service decides (a rep deleting a closed one is refused with its reason).
        "delete": can_change and opportunity.status != Status.IN_PROGRESS,
        "edit": can_change and is_open,
        "quote": opportunity.status == Status.IN_PROGRESS and can_change,
    }
    return render(
        request,
        "opportunities/detail.html",
        {
            "opportunity": opportunity,
            "stages": [
                {
                    "stage": stage,
                    "state": (
                        "current"
                        if i == current_index
                        else "passed"
                        if (current_index is not None and i < current_index) or opportunity.status == Status.WON
                        else "ahead"
                    ),
                }
                for i, stage in enumerate(stages)
            ],
            "entries": _timeline(entries),
            "tasks": tasks,
            "quote": quote,
            "actions": actions,
            "can_change": can_change,
            "today": timezone.localdate(),
            "edit_url": _reverse_or_none("opportunities:edit", opportunity.no),
            "contact_url": _reverse_or_none("contacts:detail", opportunity.contact.no),
        },
    )


# --- actions ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def activate(request, no: str):
    opportunity = _get_opportunity(request, no)
    stages = _stages(opportunity)
    if request.method == "POST":
        form = ActivateForm(request.POST)
        if form.is_valid():
            response = _submit(
                request,
                form,
                lambda: services.opportunity_activate(
                    opportunity=opportunity, user=request.user, **form.service_values()
                ),
                success=_("Opportunity %(no)s is activated.") % {"no": opportunity.no},
                no=no,
            )
            if response is not None:
                return response
    else:
        first = stages[0] if stages else None
        today = timezone.localdate()
        initial = {"date_of_change": today}
        if first is not None:
            initial["chances_of_success_pct"] = first.chances_of_success_pct
            with contextlib.suppress(DomainError):  # an invalid formula: the service will say so on submit
                initial["estimated_close_date"] = services.proposed_close_date(stage=first, date_of_change=today)
        form = ActivateForm(initial=initial)
    return _render_dialog(
        request,
        opportunity,
        template="opportunities/partials/activate_form.html",
        form=form,
        title=_("Activate first stage"),
        action_url=reverse("opportunities:activate", args=[no]),
        target_stage=stages[0] if stages else None,
        stages_data=_stages_data(stages),
    )


@require_http_methods(["GET", "POST"])
def update(request, no: str):
    opportunity = _get_opportunity(request, no)
    stages = _stages(opportunity)
    if request.method == "POST":
        form = UpdateForm(request.POST, stages=stages)
        if form.is_valid():
            response = _submit(
                request,
                form,
                lambda: services.opportunity_update_stage(
                    opportunity=opportunity, user=request.user, **form.service_values()
                ),
                success=_("Opportunity %(no)s is updated.") % {"no": opportunity.no},
                no=no,
            )
            if response is not None:
                return response
    else:
        form = UpdateForm(initial=_proposed_update(request, opportunity, stages), stages=stages)
    return _render_dialog(
        request,
        opportunity,
        template="opportunities/partials/update_form.html",
        form=form,
        title=_("Update opportunity"),
        action_url=reverse("opportunities:update", args=[no]),
        stages_data=_stages_data(stages),
        method=opportunity.sales_cycle.probability_calculation,
    )


def _proposed_update(request, opportunity: Opportunity, stages) -> dict:
    """Initial values of the update dialog for the action (and stage) asked for, e.g. by a drop on
    the board: the values the service would propose. The service still decides on submit."""
    action = request.GET.get("action") or UpdateAction.NEXT
    if action not in UpdateAction.ALL:
        action = UpdateAction.NEXT
    try:
        stage_no = int(request.GET.get("stage") or 0) or None
    except ValueError:
        stage_no = None
    today = timezone.localdate()
    initial = {"action": action, "stage": stage_no, "date_of_change": today}
    index = next((i for i, s in enumerate(stages) if s.pk == opportunity.current_stage_id), None)
    if index is None:
        return initial
    target = None
    if action == UpdateAction.NEXT and index + 1 < len(stages):
        target = stages[index + 1]
    elif action == UpdateAction.PREVIOUS and index > 0:
        target = stages[index - 1]
    elif action == UpdateAction.UPDATE:
        target = stages[index]
    elif stage_no is not None:
        target = next((s for s in stages if s.stage == stage_no), None)
    if target is None:
        return initial
    quote_total = Quote.objects.filter(opportunity=opportunity).values_list("total", flat=True).first()
    try:
        value, chances, close_date = services.update_values(
            target=target,
            moves=target.pk != opportunity.current_stage_id,
            date_of_change=today,
            estimated_value=None,
            chances_of_success_pct=None,
            estimated_close_date=None,
            quote_total=quote_total,
            current_value=opportunity.estimated_value,
            current_chances=opportunity.chances_of_success_pct,
            current_close_date=opportunity.estimated_closing_date,
        )
    except DomainError:
        return initial
    initial.update(estimated_value=value, chances_of_success_pct=chances, estimated_close_date=close_date)
    return initial


@require_http_methods(["GET", "POST"])
def close(request, no: str):
    opportunity = _get_opportunity(request, no)
    outcome = request.POST.get("outcome") or request.GET.get("outcome") or CloseOpportunityCode.Type.WON
    if outcome not in CloseOpportunityCode.Type.values:
        outcome = CloseOpportunityCode.Type.WON
    if request.method == "POST":
        form = CloseForm(request.POST, outcome=outcome)
        if form.is_valid():
            response = _submit(
                request,
                form,
                lambda: services.opportunity_close(opportunity=opportunity, user=request.user, **form.service_values()),
                success=(
                    _("Opportunity %(no)s is closed as %(outcome)s.")
                    % {"no": opportunity.no, "outcome": CloseOpportunityCode.Type(outcome).label}
                ),
                no=no,
            )
            if response is not None:
                return response
    else:
        form = CloseForm(outcome=outcome, initial={"outcome": outcome, "date_closed": timezone.localdate()})
    return _render_dialog(
        request,
        opportunity,
        template="opportunities/partials/close_form.html",
        form=form,
        title=_("Close as won") if outcome == CloseOpportunityCode.Type.WON else _("Close as lost"),
        action_url=reverse("opportunities:close", args=[no]),
    )


@require_http_methods(["GET", "POST"])
def delete(request, no: str):
    opportunity = _get_opportunity(request, no)
    error = None
    if request.method == "POST":
        try:
            services.opportunity_delete(opportunity=opportunity, user=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Opportunity %(no)s is deleted.") % {"no": no})
            default = _reverse_or_none("opportunities:list") or reverse("opportunities:board")
            return _redirect(request, default)
    return _render_dialog(
        request,
        opportunity,
        template="opportunities/partials/delete_form.html",
        title=_("Delete opportunity"),
        action_url=reverse("opportunities:delete", args=[no]),
        error=error,
    )


# --- quote -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def quote(request, no: str):
    opportunity = _get_opportunity(request, no)
    quote = (
        Quote.objects.filter(opportunity=opportunity)
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.order_by("line_no")))
        .first()
    )
    editable = opportunity.status == Status.IN_PROGRESS and _can_change(request.user, opportunity)
    detail_url = reverse("opportunities:detail", args=[no])
    error = None
    if request.method == "POST" and editable and "delete" in request.POST:
        try:
            services.quote_delete(opportunity=opportunity, user=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("The sales quote is deleted."))
            return HttpResponseRedirect(detail_url)
    if request.method == "POST" and editable and "delete" not in request.POST:
        form = QuoteForm(request.POST)
        formset = QuoteLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and formset.is_valid():
            try:
                services.quote_save(
                    opportunity=opportunity,
                    user=request.user,
                    lines=formset.lines(),
                    quote_date=form.cleaned_data["quote_date"],
                    valid_until=form.cleaned_data["valid_until"],
                )
            except DomainError as exc:
                error = exc.message
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The sales quote is saved."))
                return HttpResponseRedirect(detail_url)
    else:
        lines = [
            {
                "description": line.description,
                "quantity": line.quantity.normalize(),
                "unit_price": line.unit_price,
                "discount_pct": line.discount_pct,
            }
            for line in (quote.lines.all() if quote else [])
        ]
        form = QuoteForm(
            initial={
                "quote_date": quote.quote_date if quote else timezone.localdate(),
                "valid_until": quote.valid_until if quote else None,
            }
        )
        formset = QuoteLineFormSet(initial=lines or [{"quantity": 1, "discount_pct": 0}], prefix="lines")
    return render(
        request,
        "opportunities/detail_quote.html",
        {
            "opportunity": opportunity,
            "quote": quote,
            "form": form,
            "formset": formset,
            "editable": editable,
            "error": error,
        },
    )


# An opportunity number is upper case with digits (OP000123), so words such as "new" or "export"
# stay free for the list's own URLs.
NO = r"(?P<no>[A-Z0-9_-]*[0-9][A-Z0-9_-]*)"

urlpatterns = [
    re_path(rf"^opportunities/{NO}/$", detail, name="detail"),
    re_path(rf"^opportunities/{NO}/activate/$", activate, name="activate"),
    re_path(rf"^opportunities/{NO}/update/$", update, name="update"),
    re_path(rf"^opportunities/{NO}/close/$", close, name="close"),
    re_path(rf"^opportunities/{NO}/delete/$", delete, name="delete"),
    re_path(rf"^opportunities/{NO}/quote/$", quote, name="quote"),
]
