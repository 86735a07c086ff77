"""Views: pipeline (see opportunities/urls.py)."""

urlpatterns: list = []
