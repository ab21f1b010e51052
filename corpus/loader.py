"""Read regulation files (front matter + text) and hold the loaded corpus, looked up by clause key."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from corpus.errors import CorpusError, CorpusParseError, UnknownClauseError, UnknownDocumentError
from corpus.labels import label
from corpus.model import Regulation, Unit
from corpus.parser import parse_text

BUNDLED_DIR = Path(__file__).parent / "regulations"
DOC_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def split_front_matter(text: str, source: str = "<text>") -> tuple[dict, str, int]:
    """Return (front matter mapping, body, 1-based line number where the body starts)."""
    text = text.lstrip("\ufeff")
    if not text.startswith("---\n"):
        return {}, text, 1
    end = text.find("\n---\n", 4)
    if end < 0:
        raise CorpusParseError(1, "front matter opened with '---' is never closed", source)
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        raise CorpusParseError(2, f"front matter is not valid YAML: {exc}", source) from None
    if not isinstance(meta, dict):
        raise CorpusParseError(2, "front matter must be a mapping of 'key: value' lines", source)
    # `effective: 2024-04-01` reads as a date; keep it text like every other field (JSON, comparisons)
    meta = {k: v.isoformat() if isinstance(v, date) else v for k, v in meta.items()}
    body_start = text[: end + 5].count("\n") + 1
    return meta, text[end + 5 :], body_start


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "doc"


def parse_file(path: Path, doc_id: str | None = None) -> Regulation:
    """Parse one regulation file; its id comes from front matter, else ``doc_id``, else the file name."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CorpusParseError(1, "the file is not UTF-8 text", source) from None
    meta, body, first_line = split_front_matter(text, source)
    doc = str(meta.get("id") or doc_id or slug(path.stem))
    if not DOC_ID.match(doc):
        raise CorpusParseError(
            2, f"id {doc!r} must be a lowercase ASCII slug such as 'koriyama-kijun'", source
        )
    return parse_text(
        body, doc_id=doc, title=meta.get("title"), meta=meta, first_line=first_line, source=source
    )


@dataclass
class Corpus:
    """All loaded regulations. Documents are independent; clause keys are unique across them."""

    regulations: dict[str, Regulation] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path | None = None) -> Corpus:
        directory = directory or BUNDLED_DIR
        if not directory.is_dir():
            raise CorpusError(
                f"corpus folder {directory} does not exist; set HOGO_CORPUS_DIR to a folder of .txt files"
            )
        corpus = cls()
        for path in sorted(directory.glob("*.txt")):  # not subfolders: versions/ keeps superseded texts
            reg = parse_file(path)
            if reg.id in corpus.regulations:
                raise CorpusError(
                    f"{path}: id {reg.id!r} is already used by {corpus.regulations[reg.id].source}"
                )
            corpus.regulations[reg.id] = reg
        return corpus

    def __iter__(self):
        return iter(self.regulations.values())

    def doc(self, doc_id: str) -> Regulation:
        try:
            return self.regulations[doc_id]
        except KeyError:
            known = ", ".join(self.regulations) or "none"
            raise UnknownDocumentError(f"unknown document {doc_id!r}; loaded: {known}") from None

    def get(self, key: str) -> Unit | None:
        reg = self.regulations.get(key.split(":", 1)[0])
        return reg.get(key) if reg else None

    def unit(self, key: str) -> Unit:
        found = self.get(key)
        if found is None:
            raise UnknownClauseError(
                f"unknown clause key {key!r}; keys look like 'koriyama-kijun:22:1:2' (see 'hogo corpus list')"
            )
        return found

    def label(self, unit: Unit) -> str:
        return label(self.doc(unit.doc), unit)

    def units(self) -> list[Unit]:
        return [unit for reg in self for unit in reg.units]
