from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.core.exceptions import ObjectDoesNotExist
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's login-required default, except for REST API views.

    API views authenticate with a token or a session themselves and answer an anonymous request
    with 401 (a redirect to the login page would mean nothing to an integration).
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Imported here: this module loads with the settings, before DRF may import its views.
        from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
        from rest_framework.views import APIView

        view_class = getattr(view_func, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            # The API documentation pages are for people: they log in like on any other page
            # (DRF marks its views login_not_required, so Django's own check would let them through).
            if (
                issubclass(view_class, SpectacularSwaggerView | SpectacularRedocView)
                and not request.user.is_authenticated
            ):
                return self.handle_no_permission(request, view_func)
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ApiEdgeMiddleware:
    """What no view sees: requests with NUL characters, and API URLs that match no route.

    * A NUL character in the URL, the query string, a cookie or a header is answered with 400.
      PostgreSQL cannot store or compare NUL in text, and the driver raises an error that would
      otherwise surface as a 500 (bodies are checked by the form and serializer fields).
    * A URL under ``/api/`` that matches no route (a key with a ``/`` or a ``.``, a typo) is
      answered with the API's JSON 404 (``{"detail", "code"}``), not Django's HTML page:
      integrations parse every API answer as JSON.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _contains_nul(request):
            return JsonResponse(
                {"detail": gettext("The request contains a NUL character."), "code": "invalid_characters"},
                status=400,
            )
        response = self.get_response(request)
        if (
            response.status_code == 404
            and getattr(request, "resolver_match", None) is None
            and request.path_info.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from rest_framework.exceptions import NotFound

            return JsonResponse({"detail": str(NotFound.default_detail), "code": NotFound.default_code}, status=404)
        return response


# The name under which settings.MIDDLEWARE lists it.
RejectNullCharactersMiddleware = ApiEdgeMiddleware


def _contains_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return True
    if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
        return True
    return any(
        "\x00" in value for key, value in request.META.items() if key.startswith("HTTP_") and isinstance(value, str)
    )


class ProfileLanguageMiddleware:
    """Activates the language saved on the signed-in user's profile (else LocaleMiddleware's choice)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = profile_language(user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


def profile_language(user) -> str:
    """The profile's language, or "" without a profile. The session's user comes with its profile
    (``common.auth.CrmModelBackend``); any other user costs one query, once."""
    try:
        return user.profile.language
    except ObjectDoesNotExist:
        return ""
