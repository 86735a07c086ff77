"""Sales managers no longer create or change other people's API tokens in the admin.

A token acts as its user: a manager who could add a token for any user (a superuser included)
could act as them through the API. Everybody manages their own token at /accounts/token/;
managers keep seeing tokens and revoking them (a leaver's, say).
"""

from django.db import migrations

GROUP = "Sales managers"
TAKEN = ["add_token", "change_token", "add_tokenproxy", "change_tokenproxy"]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="authtoken", codename__in=TAKEN))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.add(*Permission.objects.filter(content_type__app_label="authtoken", codename__in=TAKEN))


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0003_user_profile"),
        ("opportunities", "0002_sales_managers_group"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
