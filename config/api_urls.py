"""The REST API, version 1 (SPEC §7). Objects are addressed by their natural keys."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from common.csp import redoc_csp
from contacts import api as contacts_api
from leads import api as leads_api
from opportunities import api as opportunities_api
from salescycles import api as salescycles_api

router = SimpleRouter()
router.register("salespeople", contacts_api.SalespersonViewSet, basename="salesperson")
router.register("contacts", contacts_api.ContactViewSet, basename="contact")
router.register("sales-cycles", salescycles_api.SalesCycleViewSet, basename="sales-cycle")
router.register("close-codes", salescycles_api.CloseCodeViewSet, basename="close-code")
router.register("activities", salescycles_api.ActivityViewSet, basename="activity")
router.register("opportunities", opportunities_api.OpportunityViewSet, basename="opportunity")
router.register("tasks", opportunities_api.TaskViewSet, basename="task")
router.register("leads", leads_api.LeadViewSet, basename="lead")

stage_list = salescycles_api.SalesCycleStageViewSet.as_view({"get": "list", "post": "create"})
stage_detail = salescycles_api.SalesCycleStageViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

app_name = "api"
urlpatterns = [
    path("sales-cycles/<str:sales_cycle_code>/stages/", stage_list, name="sales-cycle-stage-list"),
    path("sales-cycles/<str:sales_cycle_code>/stages/<int:stage>/", stage_detail, name="sales-cycle-stage-detail"),
    path(
        "sales-cycles/<str:code>/statistics/",
        opportunities_api.SalesCycleStatisticsView.as_view(),
        name="sales-cycle-statistics",
    ),
    path("reports/forecast/", opportunities_api.ForecastReportView.as_view(), name="report-forecast"),
    path("reports/salespeople/", opportunities_api.SalespeopleReportView.as_view(), name="report-salespeople"),
    path("reports/win-loss/", opportunities_api.WinLossReportView.as_view(), name="report-win-loss"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a separate request (``?script``), so the
    # page runs no inline script and the Content-Security-Policy needs no exception for it.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Redoc inserts <style> elements and searches in a blob: worker: its own policy (common/csp.py).
    path("docs/redoc/", redoc_csp(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
]
