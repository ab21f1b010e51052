"""Draft a new city's part of both guided dialogues from its regulation, without writing YAML by hand.

``draft_flows`` reads the regulation's structure (headings, the duties its sentences state, the lists its
委託 clauses introduce) and, when given a search function, what retrieval finds for general questions
scoped to the document. It returns the incident file (the internal reporting chain, immediate steps, who
files the PPC report) and the consignment checklist, both in the schema of the hand-written files and with
``status: draft``, plus what it could not find. Until someone runs ``hogo flow review``, the dialogues run
on the draft and tell staff that the city's part is a draft.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue import draft_consignment, draft_incident
from bot.dialogue.spec import FlowError
from corpus.labels import clause_label
from corpus.loader import Corpus

Search = Callable[[str], list[str]]  # a question → clause keys of the one document, best first
FLOWS = ("incident", "consignment")
STATUS_LINE = re.compile(r"^status:\s*draft\s*$", re.MULTILINE)


@dataclass
class Draft:
    doc: str
    title: str
    files: dict[str, dict[str, Any] | None]  # flow name → the file's data, None when nothing was found
    missing: list[str] = field(default_factory=list)  # what could not be found, in Japanese
    retrieved: set[str] = field(default_factory=set)  # clause keys retrieval returned for the questions asked

    def keys(self, flow: str) -> list[str]:
        """Every clause key the drafted file cites, in file order."""
        data = self.files.get(flow) or {}
        if flow == "consignment":
            return [item["key"] for item in data.get("items", [])]
        return [step["key"] for step in data.get("internal_chain", [])]


def draft_flows(corpus: Corpus, doc: str, search: Search | None = None) -> Draft:
    """Both flow files for regulation ``doc``; ``search`` (optional) adds what retrieval finds."""
    reg = corpus.doc(doc)
    asked: set[str] = set()

    def remembered(question: str) -> list[str]:
        keys = [k for k in search(question) if k.split(":", 1)[0] == doc] if search else []
        asked.update(keys)
        return keys

    incident, incident_missing = draft_incident.draft(reg, remembered if search else None)
    consignment, consignment_missing = draft_consignment.draft(reg, remembered if search else None)
    return Draft(doc=doc, title=reg.title, files={"incident": incident, "consignment": consignment},
                 missing=incident_missing + consignment_missing, retrieved=asked)


def engine_search(engine: Any, doc: str, k: int = 5, floor: float = 0.25) -> Search:
    """Retrieval as the drafter asks it: ``engine.ask`` scoped to the one document; the keys it cites that
    score at least ``floor`` of the best (in a short regulation the tail of k is the rest of the text)."""

    def search(question: str) -> list[str]:
        return [c.key for c in engine.ask(question, [doc], k=k).citations if c.score >= floor]

    return search


def write(draft: Draft, folder: Path, force: bool = False) -> list[Path]:
    """Write ``<folder>/<flow>/<doc>.yaml`` for each drafted flow. An existing file (a reviewed, hand-written
    one above all) is only replaced with ``force``."""
    targets = {flow: folder / flow / f"{draft.doc}.yaml" for flow, data in draft.files.items() if data}
    existing = [path for path in targets.values() if path.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise FlowError(f"{names} already exists; review it, or replace it with --force",
                        "この規程のガイドのファイルがすでにあります。置き換える場合は --force を指定してください。")
    written = []
    for flow, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_yaml(flow, draft), encoding="utf-8")
        written.append(path)
    return written


def to_yaml(flow: str, draft: Draft) -> str:
    what = "the internal reporting chain" if flow == "incident" else "the consignment checklist"
    header = (f"# {draft.title}: {what}, drafted by `hogo flow draft` from the regulation's text.\n"
              f"# A draft until reviewed: check every step against the cited clause, edit freely, then run\n"
              f"# `hogo flow review --scope {draft.doc}` (it sets status: reviewed).\n")
    body = yaml.safe_dump(draft.files[flow], allow_unicode=True, sort_keys=False, width=1000,
                          default_flow_style=False)
    return header + body


def summary(draft: Draft, corpus: Corpus) -> list[str]:
    """What was drafted, one line per step or item, with its clause, for the terminal (Japanese)."""
    reg = corpus.doc(draft.doc)

    def label(key: str) -> str:
        mark = "＊" if key in draft.retrieved else ""
        return f"{clause_label(reg, corpus.unit(key))}{mark}"

    lines = []
    incident = draft.files.get("incident")
    if incident:
        lines.append("【報告経路（internal_chain）】")
        lines += [f"  {n}. {s['role']}: {s['action']}（{label(s['key'])}）"
                  for n, s in enumerate(incident["internal_chain"], 1)]
        lines.append("【すぐに行うこと（immediate_steps）】")
        lines += [f"  - {s['action']}（{label(s['key'])}）" for s in incident["immediate_steps"]] or ["  （なし）"]
        ppc = incident["ppc_report"]
        lines.append(f"【個人情報保護委員会への報告】 {ppc['role']}: {ppc['action']}"
                     + (f"（{label(ppc['key'])}）" if ppc.get("key") else ""))
    consignment = draft.files.get("consignment")
    if consignment:
        lines.append("【業務委託チェックリスト（items）】")
        lines += [f"  - [{i['phase']}] {i['title']}（{label(i['key'])}）"
                  + ("　※条件付き: " + i["reason_na"].removesuffix("ため") + "場合は該当なし" if i.get("when") else "")
                  for i in consignment["items"]]
    if draft.retrieved:
        lines.append("＊は検索でも見つかった条項です。")
    return lines


def review(folder: Path, doc: str, flows: tuple[str, ...] = FLOWS) -> list[Path]:
    """Mark the drafts of ``doc`` reviewed (``status: reviewed``), keeping every edit and comment in them."""
    changed = []
    for flow in flows:
        path = folder / flow / f"{doc}.yaml"
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if STATUS_LINE.search(text):
            path.write_text(STATUS_LINE.sub("status: reviewed", text, count=1), encoding="utf-8")
            changed.append(path)
    return changed


def read(paths: list[Path], corpus: Corpus, doc: str) -> Draft:
    """Flow files already written (drafted, perhaps edited since) as a Draft, to show them again."""
    files = {path.parent.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in paths}
    return Draft(doc=doc, title=corpus.doc(doc).title, files=files)


def drafts_of(folder: Path, doc: str) -> list[Path]:
    """The flow files of ``doc`` that are still drafts."""
    paths = [folder / flow / f"{doc}.yaml" for flow in FLOWS]
    return [p for p in paths if p.exists() and STATUS_LINE.search(p.read_text(encoding="utf-8"))]
