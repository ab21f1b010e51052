"""Fictional regulations of other cities (tests/corpus/fixtures), with expectations written by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from corpus.loader import parse_file

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.stem for p in FIXTURES.glob("*.txt"))


def load(name):
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return parse_file(FIXTURES / f"{name}.txt", doc_id="x"), expected


@pytest.mark.parametrize("name", CASES)
def test_articles_paragraphs_and_headings(name):
    reg, expected = load(name)
    assert [u.article for u in reg.articles()] == expected["articles"]
    assert {a: reg.paragraph_count(a) for a in expected["articles"]} == expected["paragraphs"]
    for article, numbers in expected.get("paragraph_numbers", {}).items():
        assert [u.paragraph for u in reg.children(reg.get(f"x:{article}"))] == numbers
    headings = {u.article: u.heading for u in reg.articles() if u.heading}
    assert headings == expected.get("headings", {})
    for number in expected.get("must_not_be_articles", []):
        assert reg.get(f"x:{number}") is None


@pytest.mark.parametrize("name", CASES)
def test_items_and_subitems(name):
    reg, expected = load(name)
    items = {}
    for unit in reg.units:
        if unit.kind == "item":
            items.setdefault(f"{unit.article}:{unit.paragraph}", []).append(unit.item)
    assert items == expected.get("items", {})
    subitems = {}
    for unit in reg.units:
        if unit.kind == "subitem":
            subitems.setdefault(f"{unit.article}:{unit.paragraph}:{unit.item}", []).append(unit.subitem)
    assert subitems == expected.get("subitems", {})


@pytest.mark.parametrize("name", CASES)
def test_chapters_suppl_forms_and_joins(name):
    reg, expected = load(name)
    assert [c["title"] for c in reg.chapters if c["kind"] in "編章"] == expected.get("chapters", [])
    assert sum(1 for u in reg.units if u.kind == "suppl") == expected.get("suppl_count", 0)
    assert [str(u.number) for u in reg.units if u.kind == "form"] == expected.get("forms", [])
    texts = [u.text for u in reg.units]
    for joined in expected.get("joined", []):
        assert any(joined in text for text in texts), joined


@pytest.mark.parametrize("name", CASES)
def test_nothing_lost_or_doubled(name):
    reg, _ = load(name)
    body = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    without_markup = "\n".join(re.sub(r"^\s*[-*]\s+", "", line) for line in body.splitlines())
    assert re.sub(r"\s+", "", "".join(raw for _, raw in reg.trace)) == re.sub(r"\s+", "", without_markup)
