"""Views: the public enquiry form of the website and its thank-you page (no login).

Spam protection needs no third-party service: a honeypot field that people never see (a bot that
fills it is told "thank you" and nothing is stored), and a limit of submissions per client IP
address and time window (setting ``CRM_LEAD_FORM_RATE``, e.g. ``5/h``), counted in Django's cache.
"""

import re

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_safe

from leads import services
from leads.forms import EnquiryForm, add_service_errors
from leads.models import Lead

_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Browsers send short values; anything longer is cut, it only serves tracing.
MAX_HEADER_CHARACTERS = 500


def parse_rate(rate: str) -> tuple[int, int]:
    """``"5/h"`` → (5, 3600); ``"10/15m"`` → (10, 900). ``"0/h"`` turns the form off."""
    match = _RATE.fullmatch(rate or "")
    if match is None:
        raise ImproperlyConfigured(f"CRM_LEAD_FORM_RATE must look like '5/h' or '20/d', got {rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _PERIOD_SECONDS[unit]


def _client_ip(request) -> str:
    # REMOTE_ADDR only: a client can write any X-Forwarded-For it likes. Behind a proxy, the proxy
    # (or a WSGI middleware it trusts) must set REMOTE_ADDR to the client's address.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _over_limit(request) -> bool:
    """Count this submission; True when the client has used up its submissions of the window."""
    limit, seconds = parse_rate(settings.CRM_LEAD_FORM_RATE)
    key = f"leads:enquiry:{_client_ip(request)}"
    # add() starts the window only when there is none; incr() is atomic in the cache backends.
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, timeout=seconds)
        count = 1
    return count > limit


def _payload(request, form: EnquiryForm) -> dict:
    values = {name: form.data.get(name, "") for name in EnquiryForm.FIELDS}
    values["user_agent"] = request.headers.get("User-Agent", "")[:MAX_HEADER_CHARACTERS]
    values["referrer"] = request.headers.get("Referer", "")[:MAX_HEADER_CHARACTERS]
    return values


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def enquiry(request):
    if request.method == "POST":
        if _over_limit(request):
            return render(request, "leads/enquiry_limited.html", status=429)
        form = EnquiryForm(request.POST)
        if form.is_spam:
            # Looks like success to the bot, so that it does not learn to leave the field empty.
            return redirect("leads:enquiry_thanks")
        if form.is_valid():
            try:
                services.lead_create(source=Lead.Source.WEB_FORM, payload=_payload(request, form), **form.lead_fields())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("leads:enquiry_thanks")
        return render(request, "leads/enquiry.html", {"form": form}, status=400)
    return render(request, "leads/enquiry.html", {"form": EnquiryForm()})


@login_not_required
@require_safe
def enquiry_thanks(request):
    return render(request, "leads/enquiry_thanks.html")


urlpatterns = [
    path("enquiry/", enquiry, name="enquiry"),
    path("enquiry/thanks/", enquiry_thanks, name="enquiry_thanks"),
]
