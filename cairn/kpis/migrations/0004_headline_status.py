"""Store every KPI's status again by the headline rule (the straight path and the forecast)."""

from datetime import date

from django.db import migrations


def restate(apps, schema_editor):
    from cairn.kpis import status as rules

    Kpi = apps.get_model("kpis", "Kpi")
    changed = []
    for kpi in Kpi.objects.exclude(latest_value=None).iterator():
        values = (kpi.baseline_value, kpi.baseline_date, kpi.target_value, kpi.target_date)
        if None in values:
            continue
        plan = rules.Plan(kpi.direction == "up", *values, kpi.tolerance_percent / 100)
        points = [(date.fromisoformat(d), v) for d, v in kpi.recent]
        outlook = rules.forecast(points, plan, kpi.latest_date)
        state = rules.headline(plan, kpi.latest_value, kpi.latest_date, outlook)
        if state.value != kpi.status_code:
            kpi.status_code, kpi.status_rank = state.value, state.rank
            changed.append(kpi)
    Kpi.objects.bulk_update(changed, ["status_code", "status_rank"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0003_kpi_bounds")]

    operations = [migrations.RunPython(restate, migrations.RunPython.noop)]
