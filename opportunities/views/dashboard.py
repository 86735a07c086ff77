"""Views: dashboard (see opportunities/urls.py)."""

urlpatterns: list = []
