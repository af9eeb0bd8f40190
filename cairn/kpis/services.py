"""Writing measurements (by hand, by file, through the API) and keeping KPIs' figures current.

Every write of measurements ends in ``measurements_changed``: derived KPIs
that use the changed ones are recomputed from their formulas, then each
touched KPI's latest value, recent points and count are refreshed, so that
pages read one row per KPI however many measurements there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditAction, AuditVia, Organization
from cairn.core.money import money_unit
from cairn.core.tabular import Column, ImportRefused, Report, clip, iter_rows
from cairn.kpis import formula as formulas
from cairn.kpis.library import BY_KEY
from cairn.kpis.models import LIMIT, SPARK_POINTS, Direction, Kpi, Measurement

BATCH = 2000  # rows per INSERT … ON CONFLICT statement
FORMULA_SOURCE = "formula"


# --- Keeping each KPI's figures current


def refresh(kpi_ids: Iterable[int]) -> None:
    """Recompute the latest value, recent points and count of these KPIs from their
    measurements (one query per KPI, read through the (kpi, date) index)."""
    ids = sorted(set(kpi_ids))
    if not ids:
        return
    counts = dict(
        Measurement.objects.filter(kpi_id__in=ids)
        .values("kpi_id")
        .annotate(n=Count("id"))
        .values_list("kpi_id", "n")
    )
    plan = ("direction", "baseline_value", "baseline_date", "target_value", "target_date")
    kpis = list(Kpi.objects.filter(pk__in=ids).only("id", "tolerance_percent", *plan))
    for kpi in kpis:
        recent = list(
            Measurement.objects.filter(kpi_id=kpi.pk)
            .order_by("-date")
            .values_list("date", "value")[:SPARK_POINTS]
        )
        recent.reverse()
        kpi.recent = [[d.isoformat(), v] for d, v in recent]
        kpi.latest_date, kpi.latest_value = recent[-1] if recent else (None, None)
        kpi.measurement_count = counts.get(kpi.pk, 0)
        kpi.set_status()
    Kpi.objects.bulk_update(
        kpis,
        [
            "recent",
            "latest_date",
            "latest_value",
            "measurement_count",
            "status_code",
            "status_rank",
            "progress_share",
        ],
        batch_size=500,
    )


def recompute(kpi: Kpi) -> int:
    """Replace a derived KPI's values by its formula's, on every date all its inputs were
    measured; returns how many values it now has."""
    if not kpi.formula:
        return 0
    Measurement.objects.filter(kpi=kpi).delete()
    try:
        parsed = formulas.parse(kpi.formula)
    except formulas.FormulaError:
        return 0
    names = dict(kpi.inputs.values_list("pk", "name"))
    by_date: dict[date, dict[str, float]] = defaultdict(dict)
    for kpi_id, day, value in Measurement.objects.filter(kpi_id__in=names).values_list(
        "kpi_id", "date", "value"
    ):
        by_date[day][names[kpi_id]] = value
    wanted = set(parsed.references)
    rows = []
    for day, values in sorted(by_date.items()):
        if wanted <= values.keys():
            result = parsed.evaluate(values)
            if result is not None and abs(result) <= LIMIT:
                rows.append(Measurement(kpi=kpi, date=day, value=result, source=FORMULA_SOURCE))
    Measurement.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def measurements_changed(kpi_ids: Iterable[int]) -> None:
    """After measurements of these KPIs changed: recompute the derived KPIs that use them,
    then refresh the figures of all of them."""
    ids = set(kpi_ids)
    derived = list(Kpi.objects.filter(inputs__in=ids).exclude(formula="").distinct())
    for kpi in derived:
        recompute(kpi)
    refresh(ids | {k.pk for k in derived})


def set_formula_inputs(kpi: Kpi, names: dict[str, int]) -> None:
    """Link a KPI to the KPIs its formula uses (``names``: name → id) and compute its values.
    A KPI whose formula was removed keeps only the values measured by hand."""
    if kpi.formula:
        kpi.inputs.set([names[n] for n in formulas.parse(kpi.formula).references])
        recompute(kpi)
    else:
        kpi.inputs.clear()
        Measurement.objects.filter(kpi=kpi, source=FORMULA_SOURCE).delete()
    refresh([kpi.pk])


def rename_in_formulas(kpi: Kpi, old: str) -> None:
    """A KPI was renamed: the formulas that use it follow."""
    users = list(Kpi.objects.filter(inputs=kpi))
    for user in users:
        user.formula = formulas.rename(user.formula, old, kpi.name)
    Kpi.objects.bulk_update(users, ["formula"])


# --- Writing measurements


class MeasurementError(core.ServiceError):
    """Measurements were refused; ``problems`` lists (row or index, field, message)."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        super().__init__(f"{len(problems)} problem(s); nothing was saved.")
        self.problems = problems


@dataclass
class Resolver:
    """Finds an organisation's measurable KPIs by name or id and checks each row."""

    org: Organization
    today: date

    def __post_init__(self) -> None:
        fields = ("name", "formula", "unit", "min_value", "max_value", "baseline_date", "recent")
        kpis = list(Kpi.objects.filter(organization=self.org).only(*fields))
        self.by_id = {k.pk: (k.pk, bool(k.formula), k.name) for k in kpis}
        self.by_name = {k.name.casefold(): self.by_id[k.pk] for k in kpis}
        self.kpis = {k.pk: k for k in kpis}

    def questions(self, kpi_id: int, day: date, value: float) -> list[tuple[str, str]]:
        """What is doubtful about a value for this KPI (``Kpi.questions``)."""
        return self.kpis[kpi_id].questions(day, value)

    def kpi(self, ref: Any) -> tuple[int | None, str]:
        """The KPI's id, or None and the problem."""
        found = None
        if isinstance(ref, int):
            found = self.by_id.get(ref)
        elif isinstance(ref, str):
            found = self.by_name.get(ref.strip().casefold())
            if found is None and ref.strip().isdigit() and len(ref.strip()) < 19:
                found = self.by_id.get(int(ref.strip()))
        if found is None:
            return None, f"unknown KPI “{clip(ref, 60)}”"
        pk, derived, name = found
        if derived:
            return None, f"“{name}” is calculated from a formula; record its inputs instead"
        return pk, ""

    def day(self, day: date) -> str:
        if day > self.today:
            return f"{day.isoformat()} is in the future"
        if day.year < 1900:
            return f"{day.isoformat()} is too long ago"
        return ""


def _upsert(rows: list[Measurement]) -> None:
    Measurement.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["kpi", "date"],
        update_fields=["value", "source", "note"],
    )


def _count(org: Organization) -> int:
    return Measurement.objects.filter(kpi__organization=org).count()


def _audit(org: Organization, touched: dict[int, int], actor, via: AuditVia) -> None:
    """One audit event per KPI whose measurements were written in bulk."""
    names = dict(Kpi.objects.filter(pk__in=touched).values_list("pk", "name"))
    events = [
        core.audit_event(
            org,
            actor=actor,
            action=AuditAction.UPDATE,
            obj=Kpi(pk=pk, name=names[pk]),
            before=None,
            after={"measurements recorded": n},
            via=via,
        )
        for pk, n in sorted(touched.items())
    ]
    core.AuditEvent.objects.bulk_create(events)


def record_bulk(
    org: Organization, items: list[dict[str, Any]], *, actor, via: AuditVia = AuditVia.API
) -> tuple[int, int]:
    """Save many measurements at once, all or none: each item has ``kpi`` (id or name),
    ``date``, ``value`` and optionally ``source``, ``note`` and ``confirmed`` (true keeps a
    value Cairn questions, see ``status.INPUT_RULE``). The same KPI and date again updates the
    value. Returns (added, updated); raises MeasurementError with every problem."""
    resolve = Resolver(org, timezone.localdate())
    problems: list[tuple[int, str, str]] = []
    rows: dict[tuple[int, date], Measurement] = {}
    for index, item in enumerate(items):
        kpi_id, problem = resolve.kpi(item["kpi"])
        if problem:
            problems.append((index, "kpi", problem))
        if problem := resolve.day(item["date"]):
            problems.append((index, "date", problem))
        elif kpi_id is not None and not item.get("confirmed"):
            for field, reason in resolve.questions(kpi_id, item["date"], item["value"]):
                problems.append((index, field, f"{reason} Send “confirmed”: true to keep it."))
        if kpi_id is not None:
            rows[kpi_id, item["date"]] = Measurement(
                kpi_id=kpi_id,
                date=item["date"],
                value=item["value"],
                source=item.get("source") or "",
                note=item.get("note") or "",
            )
    if problems:
        raise MeasurementError(problems[:500])
    return _write(org, list(rows.values()), actor=actor, via=via)


@transaction.atomic
def _write(org: Organization, rows: list[Measurement], *, actor, via) -> tuple[int, int]:
    before = _count(org)
    _upsert(rows)
    added = _count(org) - before
    touched: dict[int, int] = defaultdict(int)
    for row in rows:
        touched[row.kpi_id] += 1
    measurements_changed(touched)
    _audit(org, touched, actor, via)
    return added, len(rows) - added


def record_one(
    kpi: Kpi, day: date, value: float, *, source: str = "", note: str = "", actor, via=AuditVia.WEB
) -> Measurement:
    """Save one measurement by hand (updating the one of the same date, if any), audited."""
    if kpi.formula:
        raise core.ServiceError(f"“{kpi}” is calculated from its formula; record its inputs.")
    with transaction.atomic():
        existing = Measurement.objects.filter(kpi=kpi, date=day).first()
        before = core.snapshot(existing) if existing else None
        measurement, _ = Measurement.objects.update_or_create(
            kpi=kpi, date=day, defaults={"value": value, "source": source, "note": note}
        )
        measurements_changed([kpi.pk])
        core.record(
            kpi.organization,
            actor=actor,
            action=AuditAction.UPDATE if existing else AuditAction.CREATE,
            obj=measurement,
            before=before,
            after=core.snapshot(measurement),
            via=via,
        )
    return measurement


def delete_measurement(measurement: Measurement, *, actor, via=AuditVia.WEB) -> None:
    kpi = measurement.kpi
    if kpi.formula:
        raise core.ServiceError("Values of a calculated KPI follow its inputs; change those.")
    with transaction.atomic():
        before = core.snapshot(measurement)
        pk = measurement.pk
        measurement.delete()
        measurements_changed([kpi.pk])
        core.record(
            kpi.organization,
            actor=actor,
            action=AuditAction.DELETE,
            obj=measurement,
            before=before,
            after=None,
            via=via,
            object_id=pk,
        )


# --- Importing a file

COLUMNS = [
    Column("kpi", required=True, max_length=120, help="The KPI's name (or its id)."),
    Column("date", required=True, kind="date", help="As 2026-01-31, or an Excel date."),
    Column("value", required=True, kind="float", minimum=-LIMIT, maximum=LIMIT),
    Column("source", max_length=120, help="Where the figure comes from."),
    Column("note", max_length=500),
    Column(
        "confirmed",
        kind="choice",
        choices=("yes", "no"),
        help="“yes” keeps a value Cairn would otherwise question (out of range, before the "
        "baseline, a sudden jump).",
    ),
]
EXAMPLES = [
    [
        "Share of online orders completed without an error",
        "2026-01-31",
        97.2,
        "Shop analytics",
        "",
        "",
    ],
    ["Days from order to cash received", "2026-01-31", 41, "ERP report", "Year-end rush", ""],
]


def import_file(
    org: Organization,
    file: IO[bytes],
    filename: str,
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Import measurements from a CSV or .xlsx file, streaming: rows are checked and written in
    batches inside one transaction, which is rolled back if any row had a problem.

    Returns (added, updated) or raises ImportRefused with every problem. When the same KPI and
    date appear twice, the later row wins.
    """
    resolve = Resolver(org, timezone.localdate())
    report = Report()
    touched: dict[int, int] = defaultdict(int)
    with transaction.atomic():
        before = _count(org)
        batch: dict[tuple[int, date], Measurement] = {}
        total = 0
        for row, ok in iter_rows(file, filename, COLUMNS, report, progress, every=10_000):
            number = row["_row"]
            kpi_id = None
            if "kpi" in row:
                kpi_id, problem = resolve.kpi(row["kpi"])
                if problem:
                    report.add(number, "kpi", problem)
                    ok = False
            if "date" in row and (problem := resolve.day(row["date"])):
                report.add(number, "date", problem)
                ok = False
            elif ok and kpi_id is not None and row.get("confirmed") != "yes":
                for field, reason in resolve.questions(kpi_id, row["date"], row["value"]):
                    report.add(number, field, f"{reason} Write “yes” under confirmed to keep it.")
                    ok = False
            if not ok or not report.ok:
                batch.clear()  # nothing more is written: the transaction will be undone
                continue
            batch[kpi_id, row["date"]] = Measurement(
                kpi_id=kpi_id,
                date=row["date"],
                value=row["value"],
                source=row["source"] or "",
                note=row["note"] or "",
            )
            touched[kpi_id] += 1
            total += 1
            if len(batch) >= BATCH * 5:
                _upsert(list(batch.values()))
                batch.clear()
        if not report.ok:
            raise ImportRefused(report)
        _upsert(list(batch.values()))
        added = _count(org) - before
        measurements_changed(touched)
        _audit(org, touched, actor, via)
    return added, total - added


# --- KPIs


def win_proposals(org: Organization):
    """KPIs at their target that no win names yet: Cairn proposes a win for each."""
    from django.db.models import Exists, OuterRef

    from cairn.kpis.models import Win
    from cairn.kpis.status import Status

    has_win = Exists(Win.objects.filter(kpi=OuterRef("pk")))
    return (
        Kpi.objects.filter(organization=org, status_code=Status.ACHIEVED)
        .annotate(has_win=has_win)
        .filter(has_win=False)
        .only("id", "name", "unit", "latest_value", "target_value", "status_code")
    )


def win_draft(kpi: Kpi) -> dict[str, Any]:
    """A first draft of the win a KPI at its target proposes (needs its goals and initiatives
    prefetched)."""
    goals = list(kpi.goals.all())
    story = ""
    if kpi.plan and kpi.latest_value is not None:
        story = (
            f"{kpi.name} went from {kpi.baseline_value:g} to {kpi.latest_value:g} "
            f"{kpi.unit}, meeting the target of {kpi.target_value:g}."
        )
    return {
        "kpi": kpi.pk,
        "title": f"{kpi.name}: target reached",
        "achieved_on": kpi.latest_date,
        "goal": goals[0].pk if goals else None,
        "initiatives": [i.pk for i in kpi.initiatives.all()],
        "story": story,
    }


def add_from_library(org: Organization, key: str, *, actor, via=AuditVia.WEB) -> Kpi:
    """Create the KPI of one library translation, for the organisation to finish."""
    entry = BY_KEY.get(key)
    if entry is None:
        raise core.ServiceError("There is no such KPI in the library.")
    if Kpi.objects.filter(organization=org, name=entry.kpi).exists():
        raise core.ServiceError(f"You already have the KPI “{entry.kpi}”.")
    kpi = Kpi.objects.create(
        organization=org,
        created_by=actor if actor and actor.pk else None,
        name=entry.kpi,
        description=entry.why,
        unit=money_unit(entry.unit, org.currency),
        direction=Direction.UP if entry.higher_is_better else Direction.DOWN,
        rhythm=entry.rhythm,
        replaces=entry.it_metric,
    )
    core.record_change(kpi, None, actor=actor, via=via)
    return kpi


@dataclass
class FormulaCheck:
    error: str = ""
    inputs: list[Kpi] | None = None
    value: float | None = None  # from the inputs' latest values, when all are of one date


def check_formula(
    org: Organization, text: str, *, own_name: str = "", own_id: int | None = None
) -> FormulaCheck:
    """Whether a formula can be saved for a KPI of ``org`` (named ``own_name``, with id
    ``own_id`` once saved), and what it would give with its inputs' latest values."""
    try:
        parsed = formulas.parse(text)
    except formulas.FormulaError as e:
        return FormulaCheck(error=str(e))
    candidates = Kpi.objects.filter(organization=org, name__in=parsed.references)
    kpis = {k.name: k for k in candidates.exclude(pk=own_id)}
    problems = []
    for name in parsed.references:
        if name == own_name:
            problems.append(f"a KPI cannot use itself ({{{name}}})")
        elif name not in kpis:
            problems.append(f"there is no KPI named “{name}”")
        elif kpis[name].formula:
            problems.append(f"“{name}” is itself calculated; use measured KPIs only")
    if problems:
        return FormulaCheck(error="In the formula, " + "; ".join(problems) + ".")
    inputs = [kpis[n] for n in parsed.references]
    dates = {k.latest_date for k in inputs}
    value = None
    if len(dates) == 1 and None not in dates:
        value = parsed.evaluate({k.name: k.latest_value for k in inputs})
    return FormulaCheck(inputs=inputs, value=value)
