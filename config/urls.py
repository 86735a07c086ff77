from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from common import account_views
from common import views as common_views
from opportunities.views import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("health/", common_views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The signed-in user's API token: create, replace, revoke.
    path("accounts/token/", account_views.api_token, name="api_token"),
    # The login page offers the language switch too.
    path("i18n/setlang/", common_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("contacts/", include("contacts.urls")),
    # The public enquiry form (/enquiry/) and the lead pages (/leads/…).
    path("", include("leads.urls")),
    path("", include("opportunities.urls")),
]

# A database that went away is answered 503 (page or JSON), any other crash 500 (common/views.py).
handler500 = common_views.server_error
