"""Editors may withhold a source version's words and restore a source to an earlier version; analysts may
look at versions but not change them."""
from django.db import migrations

RIGHTS = {
    "Analyst": [("sources", "view_sourceversion")],
    "Editor": [("sources", "view_sourceversion"), ("sources", "change_sourceversion")],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    # Permissions are normally created after all migrations ran; create them now for a fresh database.
    app_config = apps.get_app_config("sources")
    app_config.models_module = True
    create_contenttypes(app_config, verbosity=0, apps=apps)
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in RIGHTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for app_label, codename in wanted:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in RIGHTS.items():
        for group in Group.objects.filter(name=name):
            for app_label, codename in wanted:
                group.permissions.remove(
                    *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                )


class Migration(migrations.Migration):
    dependencies = [
        ("briefings", "0016_source_changes"),
        ("sources", "0006_stable_anchor_constraints"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
