"""A whole organisation as one JSON file, and back: for backups, moving to another install,
or sharing a worked example.

The file holds every row of the organisation's strategy, table by table in an order where
each row's links point back to rows already listed. Ids in the file are those of the
exporting install; importing creates new rows and maps every link — foreign keys,
many-to-many links, and the ids kept inside stored results (a scenario's chosen set, the
roadmap's schedule, a review's snapshot, an agenda point's source) — to the new ids.
People are not exported: links to users and memberships are left empty.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from cairn.transfer import checking
from cairn.transfer.checking import MAX_MB, TransferError, TransferRefused

__all__ = ["MAX_MB", "TransferError", "TransferRefused", "export", "import_organization", "load"]

FORMAT, VERSION = "cairn-organization", 1
ORDER = [
    "goals.BusinessGoal",
    "goals.ITMission",
    "goals.Interview",
    "goals.PainPoint",
    "assessment.SwotItem",
    "assessment.Capability",
    "assessment.Team",
    "assessment.Process",
    "assessment.Application",
    "portfolio.Initiative",
    "portfolio.TeamEffort",
    "portfolio.Criterion",
    "portfolio.CriterionScore",
    "portfolio.Scenario",
    "portfolio.TeamLimit",
    "roadmap.Plan",
    "roadmap.TeamCapacity",
    "roadmap.BudgetLine",
    "roadmap.BudgetCapacity",
    "roadmap.RoadmapItem",
    "roadmap.Milestone",
    "kpis.Kpi",
    "kpis.Measurement",
    "kpis.Win",
    "governance.Committee",
    "governance.CommitteeMember",
    "governance.Meeting",
    "governance.AgendaItem",
    "governance.Action",
    "governance.Roadblock",
    "governance.Decision",
    "governance.Raci",
    "governance.Review",
    "governance.Visit",
    "language.GlossaryTerm",
    "language.JargonRule",
    "aigov.AiPolicy",
    "aigov.AiUseCase",
    "documents.StrategyDocument",
    "execution.StatusReport",
    "execution.Actual",
    "execution.Benefit",
]
# Rows of an organisation the file leaves out on purpose, and why.
LEFT_OUT = {
    "kpis.KpiConnector": "it holds credentials for another system; set it up again",
    "exchange.SourceMapping": "how another tool's columns map, set again at its next import",
    "exchange.ForeignFile": "an upload waiting to be mapped, deleted within a day",
}
SKIPPED = {"id", "organization", "created", "updated", "created_by", "version", "pdf"}
SETTINGS = (
    "name",
    "currency",
    "fiscal_year_start",
    "planning_horizon_years",
    "change_target_percent",
    "report_every_months",
    "overspend_tolerance_percent",
)
# What the number in an agenda point's source ("kind:id") refers to.
SOURCES = {
    "initiative": "portfolio.Initiative",
    "roadblock": "governance.Roadblock",
    "milestone": "roadmap.Milestone",
    "kpi": "kpis.Kpi",
    "action": "governance.Action",
    "review": "governance.Review",
    "policy": "aigov.AiPolicy",
    "execution": "portfolio.Initiative",  # an initiative in trouble, unreported or over plan
}
URL_KWARGS = {
    "initiative_id": "portfolio.Initiative",
    "kpi_id": "kpis.Kpi",
    "meeting_id": "governance.Meeting",
    "review_id": "governance.Review",
}


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def _links(model) -> dict[str, str]:
    """Foreign keys to exported tables: field name → table label."""
    return {
        f.name: f.related_model._meta.label
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model._meta.label in ORDER
    }


def _scope(model, org) -> models.QuerySet:
    if any(f.name == "organization" for f in model._meta.concrete_fields):
        return model.objects.filter(organization=org)
    for name, label in _links(model).items():
        if any(f.name == "organization" for f in _model(label)._meta.concrete_fields):
            return model.objects.filter(**{f"{name}__organization": org})
    raise TransferError(f"{model._meta.label} cannot be scoped to an organisation")


def _plain_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in SKIPPED and not (f.is_relation and f.name not in _links(model))
    ]


def export(org) -> dict[str, Any]:
    """Every row of the organisation's strategy as plain data."""
    tables: dict[str, list[dict]] = {}
    for label in ORDER:
        model = _model(label)
        m2m = [f for f in model._meta.many_to_many if f.related_model._meta.label in ORDER]
        queryset = _scope(model, org).order_by("pk").prefetch_related(*[f.name for f in m2m])
        plain = _plain_fields(model)
        rows = []
        for obj in queryset:
            fields = {f.name: f.value_from_object(obj) for f in plain}
            rows.append(
                {
                    "id": obj.pk,
                    "fields": fields,
                    "m2m": {f.name: sorted(o.pk for o in getattr(obj, f.name).all()) for f in m2m},
                }
            )
        tables[label] = rows
    data = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "organization": {k: getattr(org, k) for k in SETTINGS},
        "slug": org.slug,
        "tables": tables,
    }
    # Through the JSON encoder and back: dates and decimals become text, as in the file.
    return json.loads(json.dumps(data, cls=FileEncoder))


class FileEncoder(DjangoJSONEncoder):
    """Django's encoder, with times cut to the millisecond first: it writes a time of 0.5 ms
    as ".000", which reads back as a whole second and is then written without a fraction, so
    an organisation imported from the file would not export the same file again."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            o = o.replace(microsecond=o.microsecond // 1000 * 1000)
        return super().default(o)


def _old_id(value) -> int | None:
    """An id of the exporting install, as a stored result keeps it (a number or its digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return None


def _remap_json(label: str, field: str, value, maps: dict, old_slug: str, new_slug: str):
    """Ids kept inside stored results, mapped to the new rows. Whatever their shape (the
    file is checked for types, not for the inside of results), nothing here fails: what
    cannot be mapped is kept as it was."""
    if value in (None, "", [], {}):
        return value

    def new(v, table):
        old = _old_id(v)
        return maps.get(table, {}).get(old, v) if old is not None else v

    def ids(values, table):
        if not isinstance(values, list):
            return values
        return [str(new(v, table)) if _old_id(v) is not None else v for v in values]

    def keys(mapping, table):
        return {str(new(k, table)) if _old_id(k) is not None else k: v for k, v in mapping.items()}

    initiative = "portfolio.Initiative"
    if label == "portfolio.Scenario" and field == "result" and isinstance(value, dict):
        out = dict(value)
        if "selected" in out:
            out["selected"] = ids(out["selected"], initiative)
        if isinstance(out.get("ranking"), dict) and "selected" in out["ranking"]:
            ranking = out["ranking"]
            out["ranking"] = {**ranking, "selected": ids(ranking["selected"], initiative)}
        for key in ("values", "explanations"):
            if isinstance(out.get(key), dict):
                out[key] = keys(out[key], initiative)
        if isinstance(out.get("explanations"), dict):
            out["explanations"] = {
                k: {**v, "dropped": ids(v["dropped"], initiative)}
                if isinstance(v, dict) and "dropped" in v
                else v
                for k, v in out["explanations"].items()
            }
        return out
    if label == "roadmap.Plan" and field == "result" and isinstance(value, dict):
        if isinstance(value.get("start"), dict):
            return {**value, "start": keys(value["start"], "roadmap.RoadmapItem")}
        return value
    if label == "governance.Review" and field == "snapshot" and isinstance(value, dict):
        out = dict(value)
        for key, table in (
            ("goals", "goals.BusinessGoal"),
            ("missions", "goals.ITMission"),
            ("swot", "assessment.SwotItem"),
            ("initiatives", initiative),
            ("roadmap", initiative),
            ("kpis", "kpis.Kpi"),
        ):
            if isinstance(out.get(key), list):
                out[key] = [
                    {**row, "id": new(row.get("id"), table)}
                    if isinstance(row, dict) and "id" in row
                    else row
                    for row in out[key]
                ]
        return out
    if label == "governance.AgendaItem" and field == "source" and isinstance(value, str):
        kind, _, pk = value.partition(":")
        if kind in SOURCES and _old_id(pk) is not None:
            return f"{kind}:{new(pk, SOURCES[kind])}"
        return value
    if label == "governance.AgendaItem" and field == "url" and isinstance(value, str):
        try:
            match = resolve(value)
        except Resolver404:
            return value
        kwargs = dict(match.kwargs)
        if kwargs.get("org_slug") == old_slug:
            kwargs["org_slug"] = new_slug
        for name, table in URL_KWARGS.items():
            if name in kwargs:
                kwargs[name] = maps.get(table, {}).get(kwargs[name], kwargs[name])
        try:
            return reverse(match.view_name, kwargs=kwargs)
        except NoReverseMatch:
            return value
    return value


JSON_FIELDS = {
    ("portfolio.Scenario", "result"),
    ("roadmap.Plan", "result"),
    ("governance.Review", "snapshot"),
    ("governance.AgendaItem", "source"),
    ("governance.AgendaItem", "url"),
}


def load(raw: bytes | str, *, max_mb: int = MAX_MB) -> Any:
    """A file's text parsed, refused early when too large or too deeply nested."""
    return checking.load(raw, max_mb=max_mb)


def import_organization(data: dict, *, name: str, actor, via=None):
    """Create a new organisation, owned by ``actor``, from an exported file; all or nothing:
    every row is checked first (``checking``), and TransferRefused lists every
    problem before anything is written."""
    from cairn.core import services
    from cairn.core.models import AuditAction, AuditVia

    checked = checking.check(data)
    maps: dict[str, dict[int, int]] = {}
    counts = {}
    with transaction.atomic():
        via = via or AuditVia.WEB
        org = services.create_organization(name, owner=actor, via=via)
        for key, value in checked.settings.items():
            setattr(org, key, value)
        org.full_clean(exclude=["slug"])
        org.save()
        old_slug = data.get("slug", "")
        old_slug = old_slug if isinstance(old_slug, str) else ""
        for label in ORDER:
            model = _model(label)
            rows = checked.tables[label]
            links = _links(model)
            self_links = [n for n, t in links.items() if t == label]
            objs = []
            for row in rows:
                values = dict(row.values)
                for name, table in links.items():
                    attname = model._meta.get_field(name).attname
                    if values.get(attname) is not None:
                        # A link to its own table is set once all its rows exist.
                        values[attname] = None if table == label else maps[table][values[attname]]
                obj = model(**values)
                if any(f.name == "organization" for f in model._meta.concrete_fields):
                    obj.organization = org
                objs.append(obj)
            model.objects.bulk_create(objs, batch_size=500)
            maps[label] = {row.id: obj.pk for row, obj in zip(rows, objs, strict=True)}
            counts[label] = len(objs)
            for name in self_links:  # e.g. a capability's parent, once all exist
                attname = model._meta.get_field(name).attname
                updates = []
                for row, obj in zip(rows, objs, strict=True):
                    if row.values.get(attname) is not None:
                        setattr(obj, attname, maps[label][row.values[attname]])
                        updates.append(obj)
                model.objects.bulk_update(updates, [name], batch_size=500)
        for label in ORDER:
            model = _model(label)
            m2m = [f for f in model._meta.many_to_many if f.related_model._meta.label in ORDER]
            json_fields = [f for (lbl, f) in JSON_FIELDS if lbl == label]
            for f in m2m:
                table, through = f.related_model._meta.label, f.remote_field.through
                source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
                links = [
                    through(**{f"{source}_id": maps[label][row.id], f"{target}_id": maps[table][i]})
                    for row in checked.tables[label]
                    for i in row.m2m.get(f.name, [])
                ]
                through.objects.bulk_create(links, batch_size=1000)
            if json_fields:
                for row in checked.tables[label]:
                    values = {
                        f: _remap_json(label, f, row.values.get(f), maps, old_slug, org.slug)
                        for f in json_fields
                        if f in row.values
                    }
                    if values:
                        model.objects.filter(pk=maps[label][row.id]).update(**values)
        _refresh_digests(org)
        _refresh_figures(maps.get("kpis.Kpi", {}).values())
        services.record(
            org,
            actor=actor,
            action=AuditAction.CREATE,
            obj=org,
            before=None,
            after={"imported": {k.split(".")[1]: v for k, v in counts.items() if v}},
            via=via,
        )
    return org


def _refresh_figures(kpi_ids) -> None:
    """A KPI's latest value, recent points, count and status are worked out from its
    measurements again, not taken from the file (whose copy of them could say anything)."""
    from cairn.kpis.services import refresh

    refresh(kpi_ids)


def _refresh_digests(org) -> None:
    """A scenario's result carries a fingerprint of the problem it solved, made from ids:
    worked out again for the new ids, so that imported results are not taken as stale."""
    from cairn.portfolio.models import Scenario
    from cairn.portfolio.services import build_problem, digest

    for scenario in Scenario.objects.filter(organization=org).exclude(result=None):
        if isinstance(scenario.result, dict) and "digest" in scenario.result:
            result = {**scenario.result, "digest": digest(build_problem(scenario)[0])}
            Scenario.objects.filter(pk=scenario.pk).update(result=result)
