"""The strategy document from its stored content: HTML (printable), PDF, Markdown and a
short board deck (.pptx). Nothing here reads the database."""

from __future__ import annotations

import io

from django.template.loader import render_to_string

from cairn.core.money import format_money
from cairn.documents import charts, content

SECTIONS = [
    ("summary", "Executive summary"),
    ("destination", "1. Destination: where the business is going"),
    ("terrain", "2. Terrain: where we stand"),
    ("path", "3. Path: what we will do, and what not"),
    ("roadmap", "4. Roadmap: when"),
    ("guideposts", "5. Guideposts: how we steer"),
    ("ascent", "6. Ascent: how we know it works"),
    ("execution", "7. Execution: how it is going"),
    ("ai", "AI and automation"),
    ("glossary", "Glossary"),
]


def context(data: dict) -> dict:
    ascent = data["ascent"]
    for k in ascent["kpis"]:
        k["svg"] = charts.kpi_line(k.get("points") or [], k.get("target"), k.get("colour", ""))
    path = data["path"]
    return {
        "d": data,
        "summary": content.summary(data),
        # documents made before execution was recorded have no such section
        "sections": [(k, t) for k, t in SECTIONS if k != "execution" or data.get("execution")],
        "attention_first": _attention_first(data["execution"]) if data.get("execution") else [],
        "mix_svg": charts.mix_bar(path["run"], path["change"], path["change_target"]),
        "gantt_svg": charts.gantt(data["roadmap"]["periods"][:12], data["roadmap"]["items"][:40]),
    }


def html(data: dict, *, for_pdf: bool = False) -> str:
    return render_to_string("documents/strategy.html", {**context(data), "for_pdf": for_pdf})


def pdf(data: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=html(data, for_pdf=True)).write_pdf()


def _money(value: float, data: dict) -> str:
    # Documents made before organisations had a currency carry none: the figure alone.
    return format_money(value, data.get("currency", ""))


def markdown(data: dict) -> str:
    d = data
    out = [f"# IT strategy of {d['organization']}", "", f"Made on {d['made_on']}.", ""]
    out += ["## Executive summary", ""] + [f"- {line}" for line in content.summary(d)] + [""]
    out += ["## 1. Destination: where the business is going", ""]
    for g in d["destination"]["goals"]:
        out.append(f"### {g['title']} (by {g['target_date']})")
        if g["description"]:
            out.append(g["description"])
        for m in g["missions"]:
            out.append(f"- IT mission: {m}")
        out.append("")
    if d["destination"]["voices"]:
        out += ["What the executives said:", ""]
        out += [f"> “{v['said']}” — {v['who']}" for v in d["destination"]["voices"]] + [""]
    out += ["## 2. Terrain: where we stand", "", "| | Statement | IT question |", "|---|---|---|"]
    out += [
        f"| {s['kind']} | {s['statement']} | {s['it_question']} |" for s in d["terrain"]["swot"]
    ]
    out += [""] + [f"- {g['title']}: {g['count']}" for g in d["terrain"]["gaps"]] + [""]
    p = d["path"]
    out += ["## 3. Path: what we will do, and what not", "", "Chosen:", ""]
    out += [f"- {i['title']} ({i['status']}, {_money(i['one_off_cost'], d)})" for i in p["chosen"]]
    out += ["", "Quick wins:", ""] + [f"- {i['title']}" for i in p["quick_wins"]]
    out += ["", "Strategic bets:", ""] + [f"- {i['title']}" for i in p["strategic_bets"]]
    out += ["", "Said no to, for now:", ""]
    out += [f"- {i['title']}: {i['why'] or i['status']}" for i in p["said_no"]]
    out += [
        "",
        f"Run {_money(p['run'], d)}, change {_money(p['change'], d)} "
        f"(target: {p['change_target']}% change).",
        "",
    ]
    out += ["## 4. Roadmap: when", ""]
    out += [f"- {i['starts']}: {i['title']}" for i in d["roadmap"]["items"]]
    out += ["", "Milestones:", ""]
    out += [
        f"- {m['due']}: {m['title']} ({m['initiative']})"
        + (f": {m['likely']}" if m.get("likely") else "")
        for m in d["roadmap"]["milestones"]
    ]
    if d["roadmap"].get("likely"):
        out += ["", f"The whole roadmap ends: {d['roadmap']['likely']}."]
    out += ["", "## 5. Guideposts: how we steer", ""]
    out += [
        f"- {m['name']}, {m['role']}{' (chair)' if m['chair'] else ''}"
        for m in d["guideposts"]["committee"]
    ]
    for r in d["guideposts"]["raci"]:
        out += [
            "",
            f"RACI: {r['title']}",
            "",
            "| Activity | " + " | ".join(r["people"]) + " |",
            "|---|" + "---|" * len(r["people"]),
        ]
        out += [
            "| "
            + row["activity"]
            + " | "
            + " | ".join(row["cells"].get(p, "") for p in r["people"])
            + " |"
            for row in r["rows"]
        ]
    out += ["", "Reviews:", ""] + [
        f"- {r['due']}: {r['title']}{' (done)' if r['done'] else ''}"
        for r in d["guideposts"]["reviews"]
    ]
    out += [
        "",
        "## 6. Ascent: how we know it works",
        "",
        "| KPI | Latest | Target | Status |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {k['name']} | {k['latest'] if k['latest'] is not None else '—'} | "
        f"{k['target'] if k['target'] is not None else '—'} | {k['status']} |"
        for k in d["ascent"]["kpis"]
    ]
    out += ["", "Wins:", ""] + [f"- {w['on']}: {w['title']}" for w in d["ascent"]["wins"]]
    out += _execution_markdown(d)
    out += ["", "## AI and automation", ""]
    out += [f"- {u['title']}: {u['tier']} ({u['status']})" for u in d["ai"]["use_cases"]]
    out += [f"- Policy ({p['area']}): {p['title']}" for p in d["ai"]["policies"]]
    out += ["", "## Glossary", ""] + [f"- **{t['term']}**: {t['meaning']}" for t in d["glossary"]]
    return "\n".join(out) + "\n"


def _attention_first(going: dict) -> list[dict]:
    rank = {"red": 0, "missing": 1, "amber": 2}
    return sorted(going["initiatives"], key=lambda i: (rank.get(i["health"], 3), i["title"]))


def _execution_markdown(d: dict) -> list[str]:
    e = d.get("execution")
    if not e:
        return []
    out = ["", "## 7. Execution: how it is going", ""]
    out += [
        f"Spent {_money(e['spend']['spent'], d)} to date against "
        f"{_money(e['spend']['planned'], d)} planned ({content._percent(e['spend']['variance'])}); "
        f"{e['benefits_realised']} of {e['benefits_promised']} promised benefits realised.",
        "",
        "| Initiative | Health | Done | Spent to date | Against plan | Finish |",
        "|---|---|---|---|---|---|",
    ]
    for i in _attention_first(e):
        done = "—" if i["percent_complete"] is None else f"{i['percent_complete']}%"
        finish = i["planned_finish"] or "—"
        if i["forecast_finish"]:
            finish += f", forecast {i['forecast_finish']}"
        out.append(
            f"| {i['title']} | {i['health_label']} | {done} | {_money(i['spent'], d)} | "
            f"{content._percent(i['variance'])} | {finish} |"
        )
    if e["benefits"]:
        out += ["", "Benefits:", ""]
        out += [
            f"- {b['kpi']} ({b['initiative']}, by {b['due']}): {b['state']}" for b in e["benefits"]
        ]
    return out


def pptx(data: dict) -> bytes:
    """A short board deck: a title slide and one slide per phase."""
    from pptx import Presentation
    from pptx.util import Pt

    deck = Presentation()
    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = f"IT strategy of {data['organization']}"
    title.placeholders[1].text = f"Board pack, {data['made_on']}"

    def bullets(heading: str, lines: list[str]) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        body = slide.placeholders[1].text_frame
        body.clear()
        for n, line in enumerate(lines[:8] or ["Nothing yet."]):
            paragraph = body.paragraphs[0] if n == 0 else body.add_paragraph()
            paragraph.text = line
            paragraph.font.size = Pt(16)

    d, p = data, data["path"]
    bullets("Summary", content.summary(d))
    bullets(
        "1. Destination",
        [f"{g['title']} (by {g['target_date'][:4]})" for g in d["destination"]["goals"]],
    )
    bullets("2. Terrain", [f"{g['title']}: {g['count']}" for g in d["terrain"]["gaps"]])
    bullets(
        "3. Path",
        [f"{i['title']}" for i in p["chosen"]]
        + [f"Said no to: {i['title']}" for i in p["said_no"][:2]],
    )
    bullets("4. Roadmap", [f"{i['starts']}: {i['title']}" for i in d["roadmap"]["items"]])
    bullets(
        "5. Guideposts",
        [f"{m['name']}, {m['role']}" for m in d["guideposts"]["committee"]]
        + [f"Review: {r['title']}" for r in d["guideposts"]["reviews"] if not r["done"]][:2],
    )
    bullets("6. Ascent", [f"{k['name']}: {k['status']}" for k in d["ascent"]["kpis"]])
    if d.get("execution"):
        e = d["execution"]
        bullets(
            "7. Execution",
            [
                f"Spent {_money(e['spend']['spent'], d)} to date against "
                f"{_money(e['spend']['planned'], d)} planned "
                f"({content._percent(e['spend']['variance'])})",
                f"Benefits realised: {e['benefits_realised']} of {e['benefits_promised']}",
            ]
            + [f"{i['title']}: {i['health_label']}" for i in _attention_first(e)][:6],
        )
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()
