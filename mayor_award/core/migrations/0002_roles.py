"""The four roles as groups. Their permissions are predicates in core/rules.py, not rows."""

from django.db import migrations

ROLES = ["secretariat", "expert", "committee", "applicant"]


def create_roles(apps, schema_editor):
    from mayor_award.core.reference_data import ensure_roles

    ensure_roles(apps.get_model("auth", "Group"))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
