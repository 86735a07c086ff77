"""Views: importing leads from a CSV or XLSX file in three steps (upload, map columns, check and import).

The parsed file waits between the steps in a server-side file named by a random token. The token
lives in the user's session only, never in a form or URL, so a client cannot point the import at
another file; a file older than ``PENDING_MAX_AGE`` is discarded. The rules (which rows are valid,
that invalid rows need the user's confirmation) are ``leads.imports``'.
"""

import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from common.errors import DomainError
from leads import imports
from leads.forms import ImportConfirmForm, ImportMappingForm, ImportUploadForm, add_service_errors
from leads.views.common import require_sales_staff

SESSION_KEY = "lead_import"
PENDING_MAX_AGE = 24 * 3600
PREVIEW_ROWS = 5
# The result page names this many imported leads; the count covers them all.
RESULT_ROWS = 200
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _pending_dir() -> Path:
    directory = Path(tempfile.gettempdir()) / "crm-lead-imports"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def _discard_stale(directory: Path) -> None:
    cutoff = time.time() - PENDING_MAX_AGE
    for stale in directory.glob("*.json"):
        try:
            if stale.stat().st_mtime < cutoff:
                stale.unlink()
        except FileNotFoundError:
            pass


def _store(request, parsed: imports.ParsedFile, campaign: str) -> None:
    _forget(request)
    directory = _pending_dir()
    _discard_stale(directory)
    token = secrets.token_hex(16)
    target = directory / f"{token}.json"
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"file_name": parsed.file_name, "headers": parsed.headers, "rows": parsed.rows}, handle)
    request.session[SESSION_KEY] = {"token": token, "campaign": campaign, "mapping": None}


def _pending(request) -> tuple[imports.ParsedFile, dict] | None:
    """The parsed file of this user's import and its state, or None."""
    state = request.session.get(SESSION_KEY)
    token = state.get("token", "") if isinstance(state, dict) else ""
    if not _TOKEN.fullmatch(token):
        return None
    source = _pending_dir() / f"{token}.json"
    try:
        if source.stat().st_mtime < time.time() - PENDING_MAX_AGE:
            return None
        with source.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return imports.ParsedFile(file_name=data["file_name"], headers=data["headers"], rows=data["rows"]), state


def _forget(request) -> None:
    state = request.session.pop(SESSION_KEY, None)
    token = state.get("token", "") if isinstance(state, dict) else ""
    if _TOKEN.fullmatch(token):
        (_pending_dir() / f"{token}.json").unlink(missing_ok=True)


def _start_again(request):
    messages.error(request, _("There is no file waiting to be imported; upload it again."))
    return redirect("leads:import")


@require_http_methods(["GET", "HEAD", "POST"])
def import_upload(request):
    require_sales_staff(request)
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                parsed = imports.parse_lead_file(form.cleaned_data["file"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _store(request, parsed, form.cleaned_data["campaign"].strip())
                return redirect("leads:import_mapping")
        status = 400
    else:
        form = ImportUploadForm()
    return render(request, "leads/import_upload.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def import_mapping(request):
    require_sales_staff(request)
    pending = _pending(request)
    if pending is None:
        return _start_again(request)
    parsed, state = pending
    status = 200
    if request.method == "POST":
        form = ImportMappingForm(request.POST, headers=parsed.headers)
        if form.is_valid():
            mapping = form.mapping()
            try:
                imports.validate_rows(parsed, mapping)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                state["mapping"] = {str(index): name for index, name in mapping.items()}
                request.session[SESSION_KEY] = state
                return redirect("leads:import_check")
        status = 400
    else:
        saved = state.get("mapping")
        mapping = {int(i): name for i, name in saved.items()} if saved else imports.suggest_mapping(parsed.headers)
        form = ImportMappingForm(initial=ImportMappingForm.initial_from(mapping), headers=parsed.headers)
    columns = [form[f"column_{index}"] for index in range(len(parsed.headers))]
    return render(
        request,
        "leads/import_mapping.html",
        {
            "form": form,
            "parsed": parsed,
            "columns": columns,
            "preview": parsed.rows[:PREVIEW_ROWS],
            "row_count": len(parsed.rows),
            "campaign": state.get("campaign", ""),
        },
        status=status,
    )


def _labelled(report: imports.ValidationReport) -> list[dict]:
    labels = {name: str(label) for name, label in imports.FIELD_LABELS.items()}
    return [
        {
            "row_no": row.row_no,
            "errors": [(labels.get(name, name), messages_) for name, messages_ in row.errors.items()],
        }
        for row in report.invalid
    ]


@require_http_methods(["GET", "HEAD", "POST"])
def import_check(request):
    require_sales_staff(request)
    pending = _pending(request)
    if pending is None or not pending[1].get("mapping"):
        return _start_again(request) if pending is None else redirect("leads:import_mapping")
    parsed, state = pending
    mapping = {int(index): name for index, name in state["mapping"].items()}
    try:
        report = imports.validate_rows(parsed, mapping)
    except ValidationError:
        return redirect("leads:import_mapping")
    valid, invalid = len(report.valid), len(report.invalid)
    status = 200
    if request.method == "POST":
        form = ImportConfirmForm(request.POST, valid=valid, invalid=invalid)
        if form.is_valid():
            try:
                result = imports.import_rows(
                    parsed,
                    mapping,
                    user=request.user,
                    campaign=state.get("campaign", ""),
                    import_invalid=form.cleaned_data["import_invalid"],
                )
            except (DomainError, ValidationError) as exc:
                add_service_errors(form, exc, field_names={"campaign": "import_invalid"})
                status = exc.status_code if isinstance(exc, DomainError) else 400
            else:
                _forget(request)
                count = len(result.created)
                messages.success(
                    request,
                    ngettext("%(count)d lead was imported.", "%(count)d leads were imported.", count)
                    % {"count": count},
                )
                return render(
                    request,
                    "leads/import_result.html",
                    {
                        "file_name": parsed.file_name,
                        "created": result.created[:RESULT_ROWS],
                        "created_count": len(result.created),
                        "skipped": _labelled(imports.ValidationReport(rows=result.skipped)),
                    },
                )
        else:
            status = 400
    else:
        form = ImportConfirmForm(valid=valid, invalid=invalid)
    return render(
        request,
        "leads/import_check.html",
        {
            "form": form,
            "file_name": parsed.file_name,
            "valid": valid,
            "invalid": invalid,
            "invalid_rows": _labelled(report),
        },
        status=status,
    )


urlpatterns = [
    path("leads/import/", import_upload, name="import"),
    path("leads/import/columns/", import_mapping, name="import_mapping"),
    path("leads/import/check/", import_check, name="import_check"),
]
