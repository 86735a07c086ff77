import sys

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language as django_set_language


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


@login_not_required
@require_POST
def set_language(request):
    """Django's language switch, which also saves the choice on a signed-in user's profile."""
    from common.models import UserProfile

    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        UserProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    return django_set_language(request)


# How long a client should wait before trying again after a 503 (seconds).
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """``handler500``: an unreachable database is a 503 ("try again"), anything else a 500.

    Django calls it while the exception is being handled, so ``sys.exc_info()`` holds it, wherever
    it was raised (a view, or a middleware reading the session or the user). API clients get the
    API's JSON error shape. The pages render without a request context, like Django's own 500
    page: the database may be what failed. Django closes the broken connection at the end of the
    request, and the next request connects afresh: the application recovers by itself.
    """
    unavailable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if request.path_info.startswith("/api/"):
        if unavailable:
            body = {
                "detail": gettext("The database is unavailable. Try again in a moment."),
                "code": "service_unavailable",
            }
        else:
            body = {"detail": gettext("Something went wrong on our side."), "code": "server_error"}
        response = JsonResponse(body, status=status)
    else:
        template = "503.html" if unavailable else "500.html"
        response = HttpResponse(loader.get_template(template).render(), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
