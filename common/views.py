from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.models import Count, Q, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from opportunities.models import Opportunity, Task


@login_not_required
@never_cache
@require_safe  # GET and HEAD: some load balancers probe with HEAD
def health(request):
    """Public health check for load balancers: 200 when the database answers, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def home(request):
    """The signed-in user's pipeline at a glance (two aggregate queries)."""
    today = timezone.localdate()
    opportunities = Opportunity.objects.visible_to(request.user)
    figures = opportunities.aggregate(
        open_count=Count("id", filter=Q(closed=False)),
        not_started=Count("id", filter=Q(status=Opportunity.Status.NOT_STARTED)),
        in_progress=Count("id", filter=Q(status=Opportunity.Status.IN_PROGRESS)),
        won=Count("id", filter=Q(status=Opportunity.Status.WON)),
        lost=Count("id", filter=Q(status=Opportunity.Status.LOST)),
        estimated_value=Sum("estimated_value", filter=Q(closed=False)),
        weighted_value=Sum("calculated_current_value", filter=Q(closed=False)),
        overdue=Count("id", filter=Q(closed=False, estimated_closing_date__lt=today)),
    )
    tasks = (
        Task.objects.visible_to(request.user)
        .open()
        .aggregate(
            due_today=Count("id", filter=Q(date=today)),
            overdue=Count("id", filter=Q(date__lt=today)),
        )
    )
    return render(request, "common/home.html", {"figures": figures, "tasks": tasks})


@login_not_required
@require_POST
def set_language(request):
    """Django's language switch, which also saves the choice on a signed-in user's profile."""
    from common.models import UserProfile

    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        UserProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    return django_set_language(request)
