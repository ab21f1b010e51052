"""Flow files: a base file per flow (``incident.yaml``) plus one file per regulation
(``incident/koriyama-kijun.yaml``) that adds that city's clauses, reporting chain and checklist items.

A new city gets a guided flow by adding its regulation to the corpus and a file here; no code changes.
Every clause key a flow file cites is checked against the corpus when the library loads.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue import conditions
from corpus.errors import HogoError, UnknownClauseError
from corpus.loader import Corpus

log = logging.getLogger("hogo.flows")

BUNDLED_FLOWS = Path(__file__).resolve().parent.parent / "flows"
KINDS = {"choice", "yesno", "number", "datetime", "text", "multiselect", "check"}
YESNO_OPTIONS = (("yes", "はい"), ("no", "いいえ"), ("unknown", "わからない"))
CHECK_OPTIONS = (("済", "済（対応済み）"), ("未", "未（まだ）"), ("該当なし", "該当なし"))
STATUSES = ("draft", "reviewed")  # a city file drafted by `hogo flow draft` stays a draft until reviewed
DRAFT_NOTICE = "この自治体のガイドは自動作成の下書きです。所管課の確認前のため、内容を必ずご確認ください。"


class FlowError(HogoError):
    code = "flow_error"
    exit_code = 2
    http_status = 400
    default_ja = "ガイドの定義または入力に問題があります。"


class UnknownFlowError(FlowError):
    http_status = 404
    default_ja = "指定されたガイドは用意されていません。"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    aliases: tuple[str, ...] = ()  # other words accepted for this choice (漏えい, lost, ...)
    listed: bool = True  # False: an earlier value still accepted (scripts, typed words) but not offered


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    prompt: str
    help: str = ""
    options: tuple[Option, ...] = ()
    required: bool = True
    allow_unknown: bool = False
    allow_other: bool = False
    when: dict | None = None
    cites: tuple[str, ...] = ()
    basis: tuple[str, ...] = ()
    max_length: int = 2000
    # checklist items (kind "check")
    title: str = ""
    phase: str = ""
    reason_na: str = ""
    report_labels: tuple[tuple[str, str], ...] = ()  # how an answer reads in a report, e.g. yes → 通知済み

    def option_label(self, value: Any) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        return str(value)

    def listed_options(self) -> tuple[Option, ...]:
        """The choices offered in menus; unlisted ones are only accepted when given."""
        return tuple(o for o in self.options if o.listed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "prompt": self.prompt, "help": self.help,
            "options": [{"value": o.value, "label": o.label} for o in self.listed_options()],
            "required": self.required, "allow_unknown": self.allow_unknown, "allow_other": self.allow_other,
            "cites": list(self.cites), "basis": list(self.basis), "title": self.title, "phase": self.phase,
            "max_length": self.max_length,
        }


def _ja(text: Any) -> str:
    """Folded YAML joins lines with a space; Japanese sentences take none."""
    return re.sub(r"(?<=[^\x00-\x7F])\s+(?=[^\x00-\x7F])", "", str(text or "").strip())


def _options(raw: dict, kind: str) -> tuple[Option, ...]:
    if kind == "yesno":
        return tuple(Option(v, label) for v, label in YESNO_OPTIONS)
    if kind == "check":
        return tuple(Option(v, label) for v, label in CHECK_OPTIONS)
    return tuple(Option(str(o["value"]), str(o["label"]), tuple(str(a) for a in o.get("aliases", ())),
                        bool(o.get("listed", True)))
                 for o in raw.get("options", []))


def make_step(raw: dict, cites: list[str] | None = None) -> Step:
    kind = raw.get("kind", "text")
    if kind not in KINDS:
        raise FlowError(f"step {raw.get('id')!r}: unknown kind {kind!r} (expected one of {sorted(KINDS)})")
    return Step(
        id=str(raw["id"]), kind=kind, prompt=str(raw.get("prompt") or raw.get("title", "")),
        help=_ja(raw.get("help")), options=_options(raw, kind), required=raw.get("required", True),
        allow_unknown=raw.get("allow_unknown", kind == "yesno"), allow_other=raw.get("allow_other", False),
        when=raw.get("when"), cites=tuple(raw.get("cites", ())) + tuple(cites or ()),
        basis=tuple(raw.get("basis", ())), max_length=int(raw.get("max_length", 2000)),
        title=str(raw.get("title", "")), phase=str(raw.get("phase", "")), reason_na=str(raw.get("reason_na", "")),
        report_labels=tuple((str(k), str(v)) for k, v in (raw.get("report_labels") or {}).items()),
    )


@dataclass
class CityRules:
    """What one regulation adds to a flow: its clause keys, chain, actions and checklist items."""

    doc: str
    title: str
    data: dict[str, Any]
    steps: list[Step] = field(default_factory=list)  # extra steps (checklist items)

    def cites_for(self, step_id: str) -> list[str]:
        return list(self.data.get("cites", {}).get(step_id, []))

    @property
    def draft(self) -> bool:
        """Drafted from the regulation by `hogo flow draft` and not reviewed yet (``status: draft``)."""
        return self.data.get("status", "reviewed") == "draft"


@dataclass
class Flow:
    name: str
    title: str
    description: str
    base_steps: list[Step]
    rules: dict[str, Any]
    cities: dict[str, CityRules]
    draft_notice: str = DRAFT_NOTICE  # what staff are told while a city's part is a draft

    def scope_step(self) -> Step:
        options = tuple(Option(doc, city.title + ("（下書き）" if city.draft else ""))
                        for doc, city in self.cities.items())
        return Step(id="scope", kind="choice", prompt="どの規程（自治体）について進めますか？", options=options,
                    help="所属する自治体の規程を選んでください。")

    def steps(self, answers: dict[str, Any]) -> list[Step]:
        """All steps for these answers (visible or not), city-specific ones once the scope is chosen."""
        city = self.cities.get(answers.get("scope", ""))
        out = [self.scope_step()]
        for step in self.base_steps:
            if city and city.cites_for(step.id):
                step = Step(**{**step.__dict__, "cites": step.cites + tuple(city.cites_for(step.id))})
            out.append(step)
        if city:
            out.extend(city.steps)
        return out

    def bound_to(self, docs: list[str] | None) -> Flow:
        """The same flow offering only these regulations (a site or workspace bound to some cities)."""
        if docs is None:
            return self
        return Flow(**{**self.__dict__, "cities": {d: c for d, c in self.cities.items() if d in docs}})

    def city(self, doc: str) -> CityRules:
        try:
            return self.cities[doc]
        except KeyError:
            raise UnknownFlowError(
                f"flow {self.name!r} has no file for regulation {doc!r} (available: {', '.join(self.cities)})",
                f"この規程（{doc}）向けのガイド「{self.title}」はまだ用意されていません。",
            ) from None


class FlowLibrary:
    def __init__(self, flows: dict[str, Flow]) -> None:
        self.flows = flows

    @classmethod
    def load(cls, corpus: Corpus, folder: Path = BUNDLED_FLOWS) -> FlowLibrary:
        """The flows of ``folder`` over the bundled ones: a city's folder (``HOGO_FLOWS_DIR``) may hold only
        its own ``<flow>/<doc>.yaml`` files; a flow or city file it holds replaces the bundled one."""
        folders = [folder] if folder.resolve() == BUNDLED_FLOWS.resolve() else [BUNDLED_FLOWS, folder]
        bases = {path.stem: path for f in folders for path in sorted(f.glob("*.yaml"))}
        flows = {}
        for name, base in sorted(bases.items()):
            flows[name] = _load_flow(base, corpus, [f / name for f in folders])
        library = cls(flows)
        problems = library.problems(corpus)
        if problems:
            raise FlowError("flow files cite clauses or fields that do not exist:\n  " + "\n  ".join(problems))
        return library

    def get(self, name: str) -> Flow:
        aliases = {"itaku": "consignment", "委託": "consignment", "事案": "incident", "漏えい": "incident"}
        name = aliases.get(name, name)
        if name not in self.flows:
            raise UnknownFlowError(f"unknown flow {name!r} (available: {', '.join(self.flows)})")
        return self.flows[name]

    def problems(self, corpus: Corpus) -> list[str]:
        """Every clause key cited anywhere in the flow files that is missing from the corpus."""
        problems = []
        for flow in self.flows.values():
            for doc, city in flow.cities.items():
                steps = flow.steps({"scope": doc})
                known = {s.id for s in steps}
                for key in _all_keys(city.data) | {k for s in steps for k in s.cites}:
                    try:
                        corpus.unit(key)
                    except UnknownClauseError:
                        problems.append(f"{flow.name}/{doc}: {key}")
                for step in steps:
                    problems += conditions.validate(step.when, known, f"{flow.name}/{doc}: step {step.id}")
        return problems


def _all_keys(data: Any) -> set[str]:
    """Clause keys anywhere in a city file: values of 'key' and members of 'keys'/'cites' lists."""
    found: set[str] = set()
    if isinstance(data, dict):
        for name, value in data.items():
            if name == "key" and isinstance(value, str):
                found.add(value)
            elif name in ("keys",) and isinstance(value, list):
                found.update(value)
            else:
                found |= _all_keys(value)
    elif isinstance(data, list):
        for value in data:
            found |= _all_keys(value)
    return found


def _item_step(item: dict) -> Step:
    return make_step({**item, "id": item["key"], "kind": "check", "cites": [item["key"], *item.get("cites", [])]})


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. Flow files say `yes`, `no` and `unknown` as answer values."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _read(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise FlowError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise FlowError(f"{path.name}: expected a mapping at the top level")
    return data


def _load_flow(base_path: Path, corpus: Corpus, city_folders: list[Path] | None = None) -> Flow:
    """One flow and its city files; a later folder's file for a regulation replaces an earlier one's."""
    base = _read(base_path)
    cities: dict[str, CityRules] = {}
    folders = city_folders or [base_path.parent / base_path.stem]
    files = {p.stem: p for f in folders for p in sorted(f.glob("*.yaml"))}
    for _, path in sorted(files.items()):
        data = _read(path)
        doc = data.get("doc", path.stem)
        if data.get("status", "reviewed") not in STATUSES:
            raise FlowError(f"{path.parent.name}/{path.name}: status must be one of {', '.join(STATUSES)}, "
                            f"not {data.get('status')!r}")
        if doc not in corpus.regulations:
            log.warning("flow file %s names regulation %s, which is not in the corpus; skipped", path.name, doc)
            continue
        items = [_item_step(item)
                 for item in data.get("items", [])]
        reg = corpus.doc(doc)
        title = f"{reg.meta['municipality']}（{reg.title}）" if reg.meta.get("municipality") else reg.title
        cities[doc] = CityRules(doc=doc, title=title, data=data, steps=items)
    steps = [make_step(raw) for raw in base.get("steps", [])]
    return Flow(name=base.get("name", base_path.stem), title=base.get("title", base_path.stem),
                description=_ja(base.get("description")), base_steps=steps,
                rules=base.get("rules", {}), cities=cities,
                draft_notice=_ja(base.get("draft_notice")) or DRAFT_NOTICE)
