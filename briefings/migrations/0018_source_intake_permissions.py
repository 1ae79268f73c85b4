"""Let analysts and editors add sources in the admin, and editors correct and replace them.

Analysts may add a new source (``add_source``) but not change one; editors may
also correct a source's metadata and replace its text (``change_source``).
"""
from django.db import migrations

GRANTS = {
    "Analyst": [("sources", "add_source")],
    "Editor": [("sources", "add_source"), ("sources", "change_source")],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("sources")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GRANTS.items():
        for group in Group.objects.filter(name=name):
            for app_label, codename in wanted:
                group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("briefings", "0017_source_version_rights"),
        ("sources", "0006_stable_anchor_constraints"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
