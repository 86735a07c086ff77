"""The browser UI of the pipeline; one module per area, each with its own urlpatterns."""
