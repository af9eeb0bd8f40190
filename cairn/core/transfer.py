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

import json
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

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
]
SKIPPED = {"id", "organization", "created", "updated", "created_by", "version", "pdf"}
SETTINGS = (
    "name",
    "currency",
    "fiscal_year_start",
    "planning_horizon_years",
    "change_target_percent",
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
}
URL_KWARGS = {
    "initiative_id": "portfolio.Initiative",
    "kpi_id": "kpis.Kpi",
    "meeting_id": "governance.Meeting",
    "review_id": "governance.Review",
}


class TransferError(Exception):
    """The file cannot be imported; the message says why. Nothing was written."""


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
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _remap_json(label: str, field: str, value, maps: dict, old_slug: str, new_slug: str):
    """Ids kept inside stored results, mapped to the new rows."""
    if value in (None, "", [], {}):
        return value
    initiatives = maps.get("portfolio.Initiative", {})

    def ids(values, table):
        return [str(maps[table].get(int(v), v)) if str(v).isdigit() else v for v in values]

    if label == "portfolio.Scenario" and field == "result":
        out = dict(value)
        for key in ("selected",):
            if isinstance(out.get(key), list):
                out[key] = ids(out[key], "portfolio.Initiative")
        if isinstance(out.get("ranking"), dict) and isinstance(
            out["ranking"].get("selected"), list
        ):
            out["ranking"] = {
                **out["ranking"],
                "selected": ids(out["ranking"]["selected"], "portfolio.Initiative"),
            }
        for key in ("values", "explanations"):
            if isinstance(out.get(key), dict):
                out[key] = {
                    str(initiatives.get(int(k), k)) if str(k).isdigit() else k: v
                    for k, v in out[key].items()
                }
        if isinstance(out.get("explanations"), dict):
            out["explanations"] = {
                k: {**v, "dropped": ids(v.get("dropped", []), "portfolio.Initiative")}
                if isinstance(v, dict)
                else v
                for k, v in out["explanations"].items()
            }
        return out
    if label == "roadmap.Plan" and field == "result" and isinstance(value.get("start"), dict):
        items = maps.get("roadmap.RoadmapItem", {})
        start = {
            str(items.get(int(k), k)) if str(k).isdigit() else k: v
            for k, v in value["start"].items()
        }
        return {**value, "start": start}
    if label == "governance.Review" and field == "snapshot":
        out = dict(value)
        for key, table in (
            ("goals", "goals.BusinessGoal"),
            ("missions", "goals.ITMission"),
            ("swot", "assessment.SwotItem"),
            ("initiatives", "portfolio.Initiative"),
            ("roadmap", "portfolio.Initiative"),
            ("kpis", "kpis.Kpi"),
        ):
            if isinstance(out.get(key), list):
                out[key] = [
                    {**row, "id": maps.get(table, {}).get(row.get("id"), row.get("id"))}
                    for row in out[key]
                ]
        return out
    if label == "governance.AgendaItem" and field == "source":
        kind, _, pk = value.partition(":")
        if kind in SOURCES and pk.isdigit():
            return f"{kind}:{maps.get(SOURCES[kind], {}).get(int(pk), pk)}"
        return value
    if label == "governance.AgendaItem" and field == "url":
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


def import_organization(data: dict, *, name: str, actor, via=None):
    """Create a new organisation, owned by ``actor``, from an exported file; all or nothing."""
    from cairn.core import services
    from cairn.core.models import AuditAction, AuditVia

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TransferError("This is not a Cairn organisation file.")
    if data.get("version") != VERSION:
        raise TransferError(f"This file is version {data.get('version')}; Cairn reads {VERSION}.")
    tables = data.get("tables")
    if not isinstance(tables, dict) or set(tables) - set(ORDER):
        raise TransferError("The file lists tables Cairn does not know.")
    settings = data.get("organization") or {}
    maps: dict[str, dict[int, int]] = {}
    counts = {}
    with transaction.atomic():
        via = via or AuditVia.WEB
        org = services.create_organization(name, owner=actor, via=via)
        for key in SETTINGS[1:]:
            if key in settings:
                setattr(org, key, settings[key])
        org.full_clean(exclude=["slug"])
        org.save()
        old_slug = data.get("slug", "")
        for label in ORDER:
            model = _model(label)
            rows = tables.get(label, [])
            links = _links(model)
            self_links = [n for n, t in links.items() if t == label]
            objs = []
            for row in rows:
                try:
                    values = {}
                    for f in _plain_fields(model):
                        if f.name not in row["fields"]:
                            continue
                        raw = row["fields"][f.name]
                        if f.name in links:
                            if raw is None or f.name in self_links:
                                values[f.attname] = None
                                continue
                            target = maps[links[f.name]].get(raw)
                            if target is None:
                                raise TransferError(
                                    f"{label} row {row['id']}: {f.name} points to a missing row."
                                )
                            values[f.attname] = target
                        elif (label, f.name) in JSON_FIELDS:
                            values[f.name] = raw  # mapped once every table has its new ids
                        else:
                            values[f.name] = f.to_python(raw) if raw is not None else None
                except (KeyError, TypeError, ValueError) as e:
                    raise TransferError(f"{label} row {row.get('id')}: {e}") from None
                obj = model(**values)
                if any(f.name == "organization" for f in model._meta.concrete_fields):
                    obj.organization = org
                objs.append(obj)
            model.objects.bulk_create(objs, batch_size=500)
            maps[label] = {row["id"]: obj.pk for row, obj in zip(rows, objs, strict=True)}
            counts[label] = len(objs)
            for name in self_links:  # e.g. a capability's parent, once all exist
                updates = []
                for row, obj in zip(rows, objs, strict=True):
                    raw = row["fields"].get(name)
                    if raw is not None:
                        if raw not in maps[label]:
                            raise TransferError(
                                f"{label} row {row['id']}: {name} points to a missing row."
                            )
                        setattr(obj, f"{name}_id", maps[label][raw])
                        updates.append(obj)
                model.objects.bulk_update(updates, [name])
        for label in ORDER:
            model = _model(label)
            rows = tables.get(label, [])
            m2m = [f for f in model._meta.many_to_many if f.related_model._meta.label in ORDER]
            json_fields = [f for (lbl, f) in JSON_FIELDS if lbl == label]
            for row in rows:
                new_id = maps[label][row["id"]]
                for f in m2m:
                    table = f.related_model._meta.label
                    wanted = [
                        maps[table][i]
                        for i in row.get("m2m", {}).get(f.name, [])
                        if i in maps[table]
                    ]
                    if wanted:
                        getattr(model(pk=new_id), f.name).set(wanted)
                if json_fields:
                    values = {
                        f: _remap_json(label, f, row["fields"].get(f), maps, old_slug, org.slug)
                        for f in json_fields
                    }
                    model.objects.filter(pk=new_id).update(**values)
        _refresh_digests(org)
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


def _refresh_digests(org) -> None:
    """A scenario's result carries a fingerprint of the problem it solved, made from ids:
    worked out again for the new ids, so that imported results are not taken as stale."""
    from cairn.portfolio.models import Scenario
    from cairn.portfolio.services import build_problem, digest

    for scenario in Scenario.objects.filter(organization=org).exclude(result=None):
        if isinstance(scenario.result, dict) and "digest" in scenario.result:
            result = {**scenario.result, "digest": digest(build_problem(scenario)[0])}
            Scenario.objects.filter(pk=scenario.pk).update(result=result)
