"""Create the Analyst and Editor groups with their permissions.

Analysts write briefings and submit them for review; editors may also write,
and they review, publish, retract and correct. Superusers need no group.
"""
from django.db import migrations

ANALYST = [
    ("briefings", "add_briefing"),
    ("briefings", "change_briefing"),
    ("briefings", "view_briefing"),
    ("briefings", "submit_briefing"),
    ("briefings", "add_citation"),
    ("briefings", "change_citation"),
    ("briefings", "delete_citation"),
    ("briefings", "view_citation"),
    ("briefings", "view_tag"),
    ("briefings", "view_revision"),
    ("briefings", "view_briefingevent"),
    ("briefings", "view_correction"),
    ("sources", "view_source"),
    ("sources", "view_passage"),
]
EDITOR = ANALYST + [
    ("briefings", "review_briefing"),
    ("briefings", "publish_briefing"),
    ("briefings", "retract_briefing"),
    ("briefings", "correct_briefing"),
    ("briefings", "add_tag"),
    ("briefings", "change_tag"),
    ("briefings", "delete_tag"),
]
GROUPS = {"Analyst": ANALYST, "Editor": EDITOR}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them
    # now so the groups can refer to them on a fresh database.
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    for label in ("sources", "briefings"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_contenttypes(app_config, verbosity=0, apps=apps)
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sources", "0001_initial"),
        ("briefings", "0002_review_workflow"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
