"""The project's URLs plus the two trivial views of the framework floor (bench only).

``bench/trivial/`` is a plain Django view and ``bench/trivial-api/`` a DRF view with the API's
authentication and permission classes; both run through the whole middleware stack and answer a
constant, so their latency is what Django (and DRF) cost before a view does any work.
"""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_safe
from rest_framework.response import Response
from rest_framework.views import APIView


@require_safe
def trivial(request):
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


class TrivialApiView(APIView):
    def get(self, request):
        return Response({"ok": True, "user": request.user.pk})


urlpatterns = [
    path("bench/trivial/", trivial, name="bench-trivial"),
    path("bench/trivial-api/", TrivialApiView.as_view(), name="bench-trivial-api"),
    path("", include("config.urls")),
]
