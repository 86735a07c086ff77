"""URLs of the browser UI for contacts."""

from contacts import views

app_name = "contacts"
urlpatterns = views.urlpatterns
