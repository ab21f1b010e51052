"""Which guide a question points to: 「USBをなくした」 is an incident to report, 「業者に委託する」 a consignment to
check. Read from the expansion dictionary's statutory words for the question (``retrieval/data/expansions.tsv``,
which staff can edit), so the guide is offered for the same words the search understands."""

from __future__ import annotations

from typing import Any

from retrieval.expansion import INCIDENT_TERMS as INCIDENT  # what the dictionary maps an incident's words to

CONSIGNMENT = frozenset({"委託", "再委託", "委託先"})


def suggested_flow(terms: list[str]) -> str | None:
    """``incident``, ``consignment`` or None, from a question's expansion words; an incident comes first
    (「委託先から漏えいした」 is reported, not checked)."""
    found = set(terms)
    if found & INCIDENT:
        return "incident"
    if found & CONSIGNMENT:
        return "consignment"
    return None


def offered_guide(library: Any, expander: Any, question: str, scopes: list[str] | None) -> str | None:
    """The guide the question points to, when ``library`` offers it for a regulation in ``scopes`` (a site or
    workspace bound to some cities); the widget's and Slack's button opens it."""
    name = suggested_flow(expander.terms(question))
    if name is None or name not in library.flows or not library.flows[name].bound_to(scopes).cities:
        return None
    return name
