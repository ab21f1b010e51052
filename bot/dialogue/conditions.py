"""A tiny condition language for flow files: when a step is shown, when a rule fires.

A condition is a mapping of field name to a test, all of which must hold, or one of the combinators
``{"any": [...]}``, ``{"all": [...]}``, ``{"not": cond}``. A test is a list of accepted values (for a
multi-select field: any selected value in the list) or a mapping of operators:

    in: [...]          the answer (or one of the selected values) is in the list
    not_in: [...]      the answer is not in the list (for a multi-select: none selected is)
    other_than: [...]  a multi-select holds at least one value outside the list
    gt: N              a number greater than N
    unknown: true      also holds when the answer is "unknown" (combine with gt)
    answered: bool     the field has (or has not) been answered

An unanswered field satisfies no test except ``answered: false``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

UNKNOWN = "unknown"
OPERATORS = {"in", "not_in", "other_than", "gt", "unknown", "answered"}
COMBINATORS = {"any", "all", "not"}


def holds(cond: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    if not cond:
        return True
    if "any" in cond:
        return any(holds(c, answers) for c in cond["any"])
    if "all" in cond:
        return all(holds(c, answers) for c in cond["all"])
    if "not" in cond:
        return not holds(cond["not"], answers)
    return all(_test(answers.get(field), test) for field, test in cond.items())


def _test(value: Any, test: Any) -> bool:
    if not isinstance(test, Mapping):
        test = {"in": test if isinstance(test, list) else [test]}
    if "answered" in test and (value is not None) != bool(test["answered"]):
        return False
    if value is None:
        return "answered" in test and not test["answered"]
    values = value if isinstance(value, list) else [value]
    if "in" in test and not any(v in test["in"] for v in values):
        return False
    if "not_in" in test and any(v in test["not_in"] for v in values):
        return False
    if "other_than" in test and not any(v not in test["other_than"] for v in values):
        return False
    if "gt" in test:
        if value == UNKNOWN:
            return bool(test.get("unknown"))
        return isinstance(value, int | float) and not isinstance(value, bool) and value > test["gt"]
    return True


def fields(cond: Mapping[str, Any] | None) -> Iterator[str]:
    """Every field a condition reads."""
    if not cond:
        return
    for key, sub in cond.items():
        if key in ("any", "all"):
            for c in sub:
                yield from fields(c)
        elif key == "not":
            yield from fields(sub)
        else:
            yield key


def validate(cond: Any, known_fields: set[str], where: str) -> list[str]:
    """Problems with a condition written in a flow file (unknown fields or operators)."""
    if cond is None:
        return []
    if not isinstance(cond, Mapping):
        return [f"{where}: a condition must be a mapping"]
    problems = []
    for key, sub in cond.items():
        if key in ("any", "all"):
            for c in sub:
                problems += validate(c, known_fields, where)
        elif key == "not":
            problems += validate(sub, known_fields, where)
        elif key not in known_fields:
            problems.append(f"{where}: condition reads unknown field {key!r}")
        elif isinstance(sub, Mapping) and not set(sub) <= OPERATORS:
            problems.append(f"{where}: unknown operator(s) {sorted(set(sub) - OPERATORS)}")
    return problems
