"""Views: contacts (companies and persons)."""

urlpatterns: list = []
