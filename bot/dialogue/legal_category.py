"""The legal category of an incident (漏えい・滅失・毀損, happened or only a おそれ), derived from what the
clerk said happened (``event_type``) and the short follow-up answers, by the table in ``incident.yaml``
(``rules.legal_category``). The clerk is never asked to classify.

The category explains the case and fills the PPC form; whether a report is required is decided by the
triggers, which hold alike for a leak, loss or damage that happened or only may have happened.
"""

from __future__ import annotations

from typing import Any

from bot.dialogue import conditions
from bot.dialogue.spec import _ja
from bot.dialogue.values import UNKNOWN

CATEGORIES = ("漏えい", "滅失", "毀損")


def derive(table: dict[str, Any], answers: dict[str, Any], city_basis: list[str] | None = None,
           city_keys: list[str] | None = None) -> dict[str, Any]:
    """The category for these answers: the main one first (``category``, ``possible_only``), the others
    in ``also``, one ``label`` and ``reason`` for them all, and the ``basis`` (national rules, then the
    city's clause defining 漏えい等 where its regulation has one)."""
    event = answers.get("event_type") or UNKNOWN
    rules = table["events"].get(event, table["events"][UNKNOWN])
    read = [f for c in rules.get("categories", []) for case in c["cases"] for f in conditions.fields(case.get("when"))]
    read = list(dict.fromkeys(read))
    # an unanswered follow-up reads as "unknown" (a script left it out): the cautious case
    facts = {**answers, **{f: answers.get(f) or UNKNOWN for f in read}}
    found = []
    for category in rules.get("categories", []):
        case = next((c for c in category["cases"] if conditions.holds(c.get("when"), facts)), None)
        if case is not None:
            found.append({"category": category["category"], "possible_only": case["possible_only"],
                          "reason": _ja(case["reason"])})
    main: dict[str, Any] = found[0] if found else {"category": None, "possible_only": None}
    if found:
        label, reason = "・".join(_label(f) for f in found), "".join(f["reason"] for f in found)
    elif "undetermined" in rules:  # その他, まだわからない: not derived at all
        label, reason = table["undetermined"], _ja(rules["undetermined"])
    else:  # the follow-ups rule every category out
        label, reason = table["none"], _ja(rules.get("none"))
    return {
        "category": main["category"],
        "possible_only": main["possible_only"],
        "also": [{"category": f["category"], "possible_only": f["possible_only"]} for f in found[1:]],
        "label": label,
        "reason": reason,
        "basis": [*table["basis"], *(city_basis or [])],
        "keys": list(city_keys or []),
        "follow_ups": {f: facts[f] for f in read},
        "from_unknown": [f for f in read if facts[f] == UNKNOWN],
    }


def _label(found: dict[str, Any]) -> str:
    return found["category"] + ("のおそれ" if found["possible_only"] else "")
