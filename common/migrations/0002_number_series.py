"""Create the number series rows and, on PostgreSQL, one sequence per series."""

from django.db import migrations

SERIES = {"CT": "Contacts", "OP": "Opportunities", "SQ": "Sales quotes", "TD": "Tasks", "LD": "Leads"}


def create_series(apps, schema_editor):
    NumberSeries = apps.get_model("common", "NumberSeries")
    for code, description in SERIES.items():
        NumberSeries.objects.get_or_create(code=code, defaults={"description": description})
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS crm_no_series_{code.lower()} START 1")


def drop_series(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for code in SERIES:
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS crm_no_series_{code.lower()}")


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]

    operations = [migrations.RunPython(create_series, drop_series)]
