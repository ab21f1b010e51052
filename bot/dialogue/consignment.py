"""The consignment checklist result: every item with its status and clause, gaps first."""

from __future__ import annotations

from typing import Any

from bot.dialogue import conditions
from bot.dialogue.spec import Flow
from bot.dialogue.values import display
from corpus.loader import Corpus
from corpus.model import clause_text

STATUS_ORDER = {"未": 0, "済": 1, "該当なし": 2}


def build_report(flow: Flow, answers: dict[str, Any], corpus: Corpus) -> dict[str, Any]:
    city = flow.city(answers["scope"])
    reg = corpus.doc(city.doc)
    context_steps = [s for s in flow.base_steps]
    items = []
    for step in city.steps:
        unit = corpus.unit(step.id)
        item = {"key": step.id, "label": corpus.label(unit), "title": step.title, "phase": step.phase,
                "question": step.prompt}
        if not conditions.holds(step.when, answers):
            item.update(status="該当なし", note="", answered=False, reason=step.reason_na or "この委託には該当しません")
        else:
            answer = answers.get(step.id)
            if answer is None:
                item.update(status="未", note="未回答", answered=False)
            else:
                item.update(status=answer["status"], note=answer.get("note", ""), answered=True)
                if answer["status"] == "該当なし":
                    item["reason"] = answer.get("note") or "担当者が該当なしと回答"
        if item["status"] == "未":
            item["text"] = clause_text(reg, unit)
        items.append(item)
    gaps = [i for i in items if i["status"] == "未"]
    done = [i for i in items if i["status"] == "済"]
    not_applicable = [{"key": i["key"], "label": i["label"], "title": i["title"], "reason": i["reason"]}
                      for i in items if i["status"] == "該当なし"]
    work = answers.get("work") or ""
    municipality = reg.meta.get("municipality", "")
    return {
        "title": f"業務委託チェックリスト（{municipality or reg.title}）" + (f" {work[:40]}" if work else ""),
        "municipality": municipality,
        "regulation": reg.title,
        "gaps": gaps,
        "counts": {"total": len(items), "gaps": len(gaps), "done": len(done), "not_applicable": len(not_applicable)},
        "complete": not gaps,
        "context": {s.id: {"prompt": s.prompt, "value": answers.get(s.id),
                           "display": display(s, answers.get(s.id))} for s in context_steps},
        "items": sorted(items, key=lambda i: STATUS_ORDER[i["status"]]),
        "not_applicable": not_applicable,
        "citations": [i["key"] for i in items],
        "draft_flow": city.draft,
        "draft_notice": flow.draft_notice if city.draft else None,
    }
