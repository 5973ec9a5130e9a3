"""Load GB/T 19580-2012 (mayor_award/core/criteria/gbt19580_2012.json) as criteria version 1."""

from django.db import migrations


def load(apps, schema_editor):
    from mayor_award.core.reference_data import ensure_first_criteria

    criteria = ensure_first_criteria(
        apps.get_model("core", "Criteria"),
        apps.get_model("core", "CriteriaCategory"),
        apps.get_model("core", "CriteriaItem"),
        apps.get_model("core", "ScoringBand"),
    )
    apps.get_model("core", "Cycle").objects.filter(criteria__isnull=True).update(criteria=criteria)


def unload(apps, schema_editor):
    apps.get_model("core", "Cycle").objects.update(criteria=None)
    apps.get_model("core", "Criteria").objects.filter(code="GB/T 19580-2012", version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_criteria")]

    operations = [migrations.RunPython(load, unload)]
