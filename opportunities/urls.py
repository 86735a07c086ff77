"""URLs of the browser UI for opportunities, the pipeline board and tasks.

Each view module lists its own ``urlpatterns``; the dashboard is the site's home page
(``config/urls.py``).
"""

from opportunities.views import opportunities, opportunity_forms, opportunity_list, pipeline, reports, tasks

app_name = "opportunities"
urlpatterns = [
    # Before the detail page's ``opportunities/<no>/``, which would otherwise take "new" for a number.
    *opportunity_list.urlpatterns,
    *opportunity_forms.urlpatterns,
    *opportunities.urlpatterns,
    *pipeline.urlpatterns,
    *tasks.urlpatterns,
    *reports.urlpatterns,
]
