"""Views of the lead pages: the public enquiry form, the inbox, a lead's page and qualifying it,
and the file import. Each module lists its own ``urlpatterns`` (see ``leads/urls.py``)."""
