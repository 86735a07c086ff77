"""The ``LD`` number series, and the lead permissions for the "Sales managers" group (SPEC §2.4, §5).

common/0002 already creates the ``LD`` series with the others; ensuring it here again (both steps
are idempotent) keeps the leads app correct on its own. Managers get every lead permission, so that
they work on leads in the admin; reps work on leads through the UI and the API.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales managers"


def forwards(apps, schema_editor):
    NumberSeries = apps.get_model("common", "NumberSeries")
    NumberSeries.objects.get_or_create(code="LD", defaults={"description": "Leads"})
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS crm_no_series_ld START 1")
    # Permissions are normally created after all migrations; make sure the leads ones exist now.
    app_config = apps.get_app_config("leads")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="leads"))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="leads"))


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
        ("common", "0002_number_series"),
        ("opportunities", "0002_sales_managers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
