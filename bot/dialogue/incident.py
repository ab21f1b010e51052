"""Decisions for an incident report, from the answers and the rules in the flow files.

The national rules (triggers, deadlines, report items) come from ``incident.yaml``; the city's chain
and actions from ``incident/<doc>.yaml``. Nothing here is specific to one city.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.dialogue import conditions, legal_category
from bot.dialogue.spec import Flow, Step
from bot.dialogue.values import JST, UNKNOWN, display
from corpus.loader import Corpus

PENDING_WORDS = {"不明", "調査中", "未定", "わからない", "分からない", "確認中", "unknown", "未確認"}


def known_on(discovered_at: str | None) -> date | None:
    """The calendar day (Japan time) on which the city learned of the incident."""
    if not discovered_at:
        return None
    value = datetime.fromisoformat(discovered_at)
    return (value.astimezone(JST) if value.tzinfo else value).date()


def final_deadline(day: date, days: int) -> date:
    """確報 deadline: the day of knowledge is not counted (初日不算入), so day + N calendar days."""
    return day + timedelta(days=days)


def build_report(flow: Flow, answers: dict[str, Any], corpus: Corpus) -> dict[str, Any]:
    rules = flow.rules
    city = flow.city(answers["scope"])
    steps = {s.id: s for s in flow.steps(answers)}

    def entry(item: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k != "when"}
        if item.get("key"):
            out["label"] = corpus.label(corpus.unit(item["key"]))
        return out

    def applies(item: dict[str, Any]) -> bool:
        return conditions.holds(item.get("when"), answers)

    # triggers ---------------------------------------------------------------------------------------
    encrypted = conditions.holds(rules["encryption_exception"], answers)
    my_number = conditions.holds(rules["my_number_applies"], answers)
    fired, excepted = [], []
    for trigger in rules["triggers"]:
        if trigger.get("my_number") and not my_number:
            continue
        asked = conditions.holds(trigger["when"], answers)
        implied = not asked and conditions.holds(trigger.get("implied_by") or {"any": []}, answers)
        if asked or implied:
            unknown_fields = [f for f in conditions.fields(trigger["when"]) if asked and answers.get(f) == UNKNOWN]
            if trigger.get("my_number") and answers.get("contains_my_number") == UNKNOWN:
                unknown_fields.append("contains_my_number")
            record = {"id": trigger["id"], "label": trigger["label"], "basis": trigger["basis"],
                      "my_number": bool(trigger.get("my_number")), "from_unknown": unknown_fields,
                      "implied_by_event_type": answers.get("event_type") if implied else None}
            (excepted if encrypted else fired).append(record)
    required = bool(fired)
    appi = [t for t in fired if not t["my_number"]]
    mn = [t for t in fired if t["my_number"]]

    # the legal category (漏えい・滅失・毀損, or only a おそれ), from the event type and its follow-ups ----
    city_keys = city.cites_for("event_type")  # the city's clause defining 漏えい等, where it has one
    category = legal_category.derive(rules["legal_category"], answers,
                                     [corpus.label(corpus.unit(k)) for k in city_keys], city_keys)

    if category["category"] is None and required:
        category["reason"] += "報告の要否は、漏えい等のおそれがあるものとして判断しています。"

    # unknown answers, and which decisions they drove --------------------------------------------
    unknowns = []
    for field, value in answers.items():
        if value == UNKNOWN or (isinstance(value, list) and UNKNOWN in value):
            drove = [t["id"] for t in fired if field in t["from_unknown"]]
            if field in category["from_unknown"]:
                drove.append("legal_category")
            if field == "strongly_encrypted" and fired:
                drove.append("encryption_exception_not_applied")
            unknowns.append({"field": field, "prompt": steps[field].prompt if field in steps else field,
                             "drove": drove})

    # deadlines --------------------------------------------------------------------------------------
    deadline_rules = rules["deadlines"]
    day = known_on(answers.get("discovered_at"))
    extended = [t["id"] for t in fired if t["id"] in deadline_rules["extended_by"]]
    days = deadline_rules["extended_days"] if extended else deadline_rules["final_days"]
    first, last = deadline_rules["preliminary_guide_days"]
    deadlines = {
        "known_on": day.isoformat() if day else None,
        "basis": deadline_rules["basis"],
        "preliminary": {
            "required": required, "note": deadline_rules["preliminary_note"],
            "guide_from": (day + timedelta(days=first)).isoformat() if day and required else None,
            "guide_to": (day + timedelta(days=last)).isoformat() if day and required else None,
        },
        "final": {
            "required": required,
            "days": days if required else None,
            "by": final_deadline(day, days).isoformat() if day and required else None,
            "extended_by": extended,
            "note": _final_note(required, day, days, extended),
        },
    }

    # the city's chain and actions -----------------------------------------------------------------------
    data = city.data
    contractor = answers.get("contractor_involved") in ("yes", UNKNOWN)
    chain = [entry(c) for c in data.get("internal_chain", []) if applies(c)]
    immediate = [entry(s) for s in data.get("immediate_steps", []) if applies(s)]
    ppc_by = entry(data["ppc_report"]) if required and data.get("ppc_report") else None
    no_report = [entry(a) for a in data.get("no_ppc_report", []) if applies(a)] if not required else []
    contractor_actions = [entry(a) for a in data.get("contractor", []) if applies(a)] if contractor else []

    route = {
        "applies": my_number,
        "report_required": bool(mn),
        "triggers": [t["id"] for t in mn],
        "basis": "番号法第29条の4、特定個人情報の漏えい等に関する報告等に関する規則第2条",
        "note": _my_number_note(answers, my_number, mn, contractor),
    }

    # the nine report items -----------------------------------------------------------------------------
    report_items, missing = [], []
    for item in rules["report_items"]:
        parts = []
        for field in item["fields"]:
            value = answers.get(field)
            if field == "legal_category":
                parts.append(f"法令上の区分: {category['label']}")
            elif _filled(value) and field in steps:
                shown = display(steps[field], value, in_report=True)
                parts.append(shown if len(item["fields"]) == 1 else f"{_short(steps[field])}: {shown}")
        value = "／".join(parts)
        filled = bool(parts) if item.get("optional") else _filled(answers.get(item["fields"][0]))
        report_items.append({"name": item["name"], "value": value, "filled": filled})
        if not filled:
            missing.append(item["name"])

    citations = _unique(
        [c["key"] for c in chain] + [s["key"] for s in immediate]
        + ([ppc_by["key"]] if ppc_by and ppc_by.get("key") else [])
        + [a["key"] for a in no_report] + [a["key"] for a in contractor_actions]
        + [k for s in flow.steps(answers) if s.id in answers for k in s.cites]
    )
    municipality = corpus.doc(city.doc).meta.get("municipality", "")
    return {
        "title": f"漏えい等事案報告（{municipality or city.title}）"
                 + (f" {day.isoformat()}発覚" if day else ""),
        "body_name": data.get("body_name", ""),
        "municipality": municipality,
        "regulation": corpus.doc(city.doc).title,
        "discovered_at": answers.get("discovered_at"),
        "event_type": answers.get("event_type"),
        "legal_category": category,
        "ppc_report_required": required,
        "ppc_triggers": [t["id"] for t in fired],
        "triggers": fired,
        "encryption_exception": {"applied": encrypted, "would_have_fired": [t["id"] for t in excepted]},
        "my_number_route": route,
        "notify_individuals": required,
        "notify_individuals_note": _notify_note(required),
        "deadlines": deadlines,
        "internal_chain": chain,
        "immediate_steps": immediate,
        "ppc_report_by": ppc_by,
        "when_not_reportable": no_report,
        "contractor": {"involved": contractor, "name": answers.get("contractor_name"),
                       "notified_at": answers.get("contractor_notified_at"), "actions": contractor_actions},
        "unknowns": unknowns,
        "report_items": report_items,
        "missing_items": missing,
        "citations": citations,
        "law_basis": _unique([t["basis"] for t in fired] + ["個人情報保護法第68条"]),
        "appi_triggers": [t["id"] for t in appi],
        "answers": {s.id: {"prompt": s.prompt, "value": answers[s.id], "display": display(s, answers[s.id])}
                    for s in flow.steps(answers) if s.id in answers},
        "draft_flow": city.draft,
        "draft_notice": flow.draft_notice if city.draft else None,
    }


def _short(step: Step) -> str:
    names = {"event_type": "事案の種類", "media": "媒体", "summary": "内容", "discovered_at": "発覚日時",
             "containment": "拡大防止措置", "contractor_name": "委託先", "contractor_notified_at": "委託先からの連絡"}
    return names.get(step.id, step.id)


def _filled(value: Any) -> bool:
    if value is None or value == [] or value == UNKNOWN:
        return False
    if isinstance(value, list):
        return any(v != UNKNOWN for v in value)
    return not (isinstance(value, str) and value.strip() in PENDING_WORDS)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _final_note(required: bool, day: date | None, days: int, extended: list[str]) -> str:
    if not required:
        return "個人情報保護委員会への報告は不要と判断されました（内部報告と規程による対応は必要です）。"
    if day is None:
        return "発覚日時が未入力のため期限を計算できません。発覚日時を確認してください。"
    why = "不正の目的によるおそれがあるため60日" if extended else "30日"
    return f"発覚日（{day.isoformat()}）の翌日から起算して{why}以内（土日祝日を含む）。"


def _notify_note(required: bool) -> str:
    if not required:
        return "法令上の本人通知の義務はありませんが、事案の内容に応じて本人への対応を検討してください。"
    return ("本人への通知が必要です（個人情報保護法第68条第2項）。状況に応じ速やかに、概要・項目・原因・二次被害・"
            "その他を伝え、いつ・どの方法で通知したかを記録してください。通知が困難な場合は公表や問合せ窓口の"
            "設置などの代替措置をとります。")


def _my_number_note(answers: dict[str, Any], applies: bool, fired: list[dict], contractor: bool) -> str:
    if not applies:
        return "個人番号は含まれていないため、番号法による報告の対象ではありません。"
    lead = ("個人番号が含まれるかわからないため、含まれるものとして扱っています。"
            if answers.get("contains_my_number") == UNKNOWN else "")
    if fired:
        body = "番号法第29条の4により、特定個人情報の漏えい等として個人情報保護委員会への報告と本人への通知が必要です。"
    else:
        body = ("特定個人情報に係る事案ですが、番号法の報告対象の事態には当たりません"
                "（個人情報保護法による報告の要否は別に判断しています）。")
    if contractor:
        body += "委託先で発生した場合も、委託元である自治体が報告し、委託先の調査結果を含めます。"
    return lead + body
