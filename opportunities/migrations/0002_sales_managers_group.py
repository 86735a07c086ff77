"""The "Sales managers" group (SPEC §5): see and change all opportunities, maintain the setup."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales managers"
FULL_APPS = ("salescycles", "contacts", "opportunities")


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=FULL_APPS).exclude(
        content_type__model__in=["contactsearchstring"]
    )
    group.permissions.add(*permissions)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="authtoken"),
        *Permission.objects.filter(content_type__app_label="auth", codename__in=["view_user", "view_group"]),
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0001_initial"),
        ("salescycles", "0001_initial"),
        ("contacts", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
