"""Views: tasks (see opportunities/urls.py)."""

urlpatterns: list = []
