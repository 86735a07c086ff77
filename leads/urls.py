"""URLs of the browser UI for leads: the public enquiry form (``/enquiry/``) and the sales pages
under ``/leads/``. Included at the site's root, because the public form's URL is not under ``leads/``."""

from leads.views import detail, imports, inbox, public

app_name = "leads"
urlpatterns = [
    *public.urlpatterns,
    # Before the lead's page ``leads/<no>/``, which would otherwise take "import" and "bulk" for numbers.
    *imports.urlpatterns,
    *inbox.urlpatterns,
    *detail.urlpatterns,
]
