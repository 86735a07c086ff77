"""URLs of the browser UI for opportunities, the pipeline board and tasks.

Each view module lists its own ``urlpatterns``; the dashboard is the site's home page
(``config/urls.py``).
"""

from opportunities.views import opportunities, pipeline, tasks

app_name = "opportunities"
urlpatterns = [*opportunities.urlpatterns, *pipeline.urlpatterns, *tasks.urlpatterns]
