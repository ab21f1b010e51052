"""The facts of a clause, cut into verifiable spans: its sentences, its main clause, its list items.

Every span returned here is the clause's own text, possibly *abridged*: long parentheticals (definitions,
law numbers, 「以下…という。」) and the tail of an over-long sentence are replaced by "…". An abridged span
is verified piece by piece (``is_abridged_span``): the pieces between the "…" marks occur in the clause
text in order, so nothing in an answer is worded by hogo except the glue around the quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.intent import Kind, answers

ELLIPSIS = "…"
_OPEN, _CLOSE = "（(「『", "）)」』"
# Parentheticals an answer can do without: law numbers, 「以下「法」という。」, 「…を含む。以下この条において同じ。」,
# and any over 40 characters. What a term covers (「（パスワード、ICカード、生体情報等をいう。）」) is kept.
_BOILERPLATE = re.compile(r"^[（(](以下|平成|昭和|令和|明治|大正)|法律第|条例第|規則第|訓令第|告示第|において同じ")
_PARENTHETICAL_MAX = 40
_QUOTED = re.compile(r"「([^「」]{2,})」")
_LIST_LEAD = re.compile(r"次に掲げる|次の各号|次のとおり|次に定める|次の[^。、]{1,8}(を|に|と|は)")
# Where a condition ends and the main clause of a statutory sentence begins.
_CONDITION_END = re.compile(r"(場合(に(は|おいて(は)?)?|は|であっても)|とき(は|には)|際(に(は)?|は)|に当たって(は)?|"
                            r"ために|ため)、")
_TOPIC = re.compile(r"^[^、。]{1,30}?(は|が)、")


@dataclass(frozen=True)
class Sentence:
    text: str  # verbatim
    start: int  # offset in the clause text


def sentences(text: str) -> list[Sentence]:
    """Sentences ending in 。 (or at a line end), never split inside brackets (「（以下「法」という。）」)."""
    found, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        if (ch == "。" and depth == 0) or ch == "\n":
            piece = text[start : i + 1].strip()
            if piece:
                found.append(Sentence(piece, text.index(piece, start)))
            start, depth = i + 1, 0
    tail = text[start:].strip()
    if tail:
        found.append(Sentence(tail, text.index(tail, start)))
    return found


def abridge(text: str, limit: int = 0, asked: str = "") -> str:
    """``text`` without its boilerplate parentheticals, and cut after ``limit`` characters at a comma (0: no cut);
    each omission is marked with "…". A parenthetical that names a term the question ``asked`` about
    (「（以下「取扱区域」という。）」 for 「取扱区域って何」) is kept."""
    out, depth, buffer = [], 0, []
    for ch in text:
        if ch in "（(":
            depth += 1
            if depth == 1:
                buffer = [ch]
                continue
        if depth:
            buffer.append(ch)
            if ch in "）)":
                depth -= 1
                if depth == 0:
                    inner = "".join(buffer)
                    boilerplate = _BOILERPLATE.search(inner) or len(inner) > _PARENTHETICAL_MAX
                    named = any(term in asked for term in _QUOTED.findall(inner))
                    out.append(ELLIPSIS if boilerplate and not named else inner)
            continue
        out.append(ch)
    if depth:  # unbalanced: keep what was read
        out.append("".join(buffer))
    result = re.sub(f"{ELLIPSIS}+", ELLIPSIS, "".join(out))
    if limit and len(result) > limit:
        cut = _last_outer_comma(result, limit)
        result = result[: cut + 1 if cut > limit // 2 else limit] + ELLIPSIS
    return result


def _last_outer_comma(text: str, limit: int) -> int:
    """The position of the last "、" before ``limit`` outside parentheses (-1 when there is none), so that a
    cut never leaves a parenthetical open."""
    depth, last = 0, -1
    for at, ch in enumerate(text[:limit]):
        depth += (ch in "（(") - (ch in "）)")
        if ch == "、" and depth <= 0:
            last = at
    return last


def is_abridged_span(span: str, text: str) -> bool:
    """Whether the pieces of ``span`` between "…" marks occur in ``text`` in order."""
    position = 0
    pieces = [p for p in span.split(ELLIPSIS) if p]
    if not pieces:
        return False
    for piece in pieces:
        found = text.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True


_CONNECTIVE = re.compile(r"^(また|なお|さらに|この場合において)、")


def strip_connective(sentence: str) -> str:
    """The sentence without a leading 「また、」「なお、」「この場合において、」."""
    found = _CONNECTIVE.match(sentence)
    return sentence[found.end() :] if found else sentence


def main_clause(sentence: str) -> str:
    """The sentence's main clause: its topic (「保護管理者は、」) when it opens the sentence, then what follows
    the last condition (「…を認識した場合に、」). The whole sentence when there is no condition. A leading
    connective (「また、」) is left out either way."""
    sentence = strip_connective(sentence)
    matches = [m for m in _CONDITION_END.finditer(sentence) if _depth_at(sentence, m.start()) == 0]
    if not matches:
        return sentence
    rest = sentence[matches[-1].end() :]
    if len(rest) < 12:
        return sentence
    topic = _TOPIC.match(sentence)
    if topic and topic.end() <= matches[-1].start() and not _TOPIC.match(rest):
        return f"{topic.group(0)}{ELLIPSIS}{rest}"
    return rest


def _depth_at(text: str, index: int) -> int:
    depth = 0
    for ch in text[:index]:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
    return depth


def introduces_list(sentence: str) -> bool:
    return bool(_LIST_LEAD.search(sentence))


def sentence_scores(found: list[Sentence], kind: Kind, overlap: list[int]) -> list[float]:
    """How well each sentence answers: words shared with the question, the kind's statutory cues, a
    sentence introducing a list (for WHAT and PROCEDURE questions); a proviso (ただし…) only for questions
    about what is allowed or when."""
    scores = []
    for sentence, shared in zip(found, overlap, strict=True):
        s = sentence.text
        score = shared + (1.5 if answers(kind, s) else 0.0)
        if kind in (Kind.WHAT, Kind.PROCEDURE) and introduces_list(s):
            score += 1.0
        if s.startswith("ただし") and kind not in (Kind.ALLOWED, Kind.WHEN):
            score -= 0.5
        scores.append(score)
    return scores


def condition(sentence: str, main: str) -> str:
    """What precedes ``main`` in ``sentence`` (the condition the lead leaves out), or "" when nothing does."""
    first = main.split(ELLIPSIS)[-1]
    at = sentence.rfind(first)
    return sentence[:at].strip() if at > 0 else ""
