"""Views: opportunities (see opportunities/urls.py)."""

urlpatterns: list = []
