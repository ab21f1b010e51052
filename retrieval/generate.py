"""Generative answers through any LangChain chat model, verified sentence by sentence.

The model is given the retrieved clauses with their keys and asked to end every sentence with the keys it
rests on and to quote only verbatim, in 「」. A sentence is kept only when it cites at least one key, every
key it cites was given to the model, and every quoted span is a substring of a clause it cites. Anything
else is dropped. When nothing survives, or the model is slow or fails, the extractive answer stands and
``composer_note`` says why, so the contract of ``retrieval.answer`` (verified citations) always holds.

A plain library: the model and the limits are handed in; nothing here reads the environment.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from corpus.loader import Corpus
from retrieval.answer import Answer, Citation, VerificationError, verify
from retrieval.search import SearchResult

log = logging.getLogger(__name__)

SYSTEM_PROMPT = """\
あなたは自治体職員の質問に、市の個人情報保護に関する規程だけに基づいて答えるアシスタントです。
次の決まりを必ず守ってください。
- 回答には、与えられた条文だけを使ってください。条文に書かれていないことは書かないでください。
- 各文の末尾（句点の前）に、その文の根拠とした条文のキーを [koriyama-kijun:23:1] のように角括弧で付けてください。\
根拠が複数あるときは [キー1][キー2] のように並べてください。与えられていないキーは使わないでください。
- 条文の文言を引用するときは、一字一句変えずに「」で囲んでください。「」は引用にだけ使ってください。
- 誰が、何を、いつまでに行うか、列挙されている事項は何か、といった事実を簡潔に答えてください。
- 見出しや前置き、まとめの文は書かないでください。"""

TERMINATORS = "。！？\n"
OPENERS, CLOSERS = "「『（(", "」』）)"
SPACES = " \u3000\t"
KEY_GROUP = re.compile(r"[\[［]([^\[\]［］\n]*)[\]］]")
KEY_SEPARATORS = re.compile(r"[,、，\s]+")
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"  # reasoning models served locally emit these


class GenerationTimeout(Exception):
    pass


@dataclass
class Checked:
    """A sentence that passed verification: its text (keys written as ``[key]``) and its quotes."""

    text: str
    keys: list[str]
    quotes: list[tuple[str, str]]  # (key, verbatim span)


class GenerativeComposer:
    """Writes the answer text with ``model`` from the clauses retrieval found; citations stay retrieval's.

    ``timeout`` bounds the whole generation in seconds; ``max_clauses`` caps the clauses in the prompt.
    """

    def __init__(self, model: BaseChatModel, timeout: float = 20.0, max_clauses: int = 6) -> None:
        self.model = model
        self.timeout = timeout
        self.max_clauses = max_clauses

    def compose(self, corpus: Corpus, question: str, result: SearchResult, scope: list[str], k: int,
                fallback: Answer) -> Answer:
        """The generated answer, or ``fallback`` (the extractive one) with ``composer_note`` saying why."""
        *_, answer = self.stream(corpus, question, result, scope, k, fallback)
        return answer

    def stream(self, corpus: Corpus, question: str, result: SearchResult, scope: list[str], k: int,
               fallback: Answer) -> Iterator[str | Answer]:
        """Yield each verified sentence (``str``, with its trailing newline if any) as soon as it is complete,
        then the final ``Answer``. When that answer is the fallback (``composer == "extractive"``), the
        sentences yielded before it are withdrawn: show the fallback's text instead."""
        if fallback.abstained or result.abstain or not fallback.citations:
            yield fallback  # abstentions never go to the model
            return
        started = time.perf_counter()
        clauses = fallback.citations[: max(1, min(k, self.max_clauses))]
        allowed = {c.key: c.text for c in clauses}
        kept: list[Checked] = []
        dropped, note = 0, None
        splitter = SentenceSplitter()
        try:
            for text in self._generate(self.messages(corpus, question, clauses, scope)):
                for segment in splitter.feed(text):
                    checked = check_sentence(segment, allowed)
                    if checked is None:
                        dropped += bool(segment.strip())
                        continue
                    kept.append(checked)
                    yield checked.text
            for segment in splitter.flush():
                checked = check_sentence(segment, allowed)
                if checked is None:
                    dropped += bool(segment.strip())
                    continue
                kept.append(checked)
                yield checked.text
        except GenerationTimeout:
            note = "llm: timeout"
        except Exception as exc:  # any failure of the model or its transport: the extractive answer stands
            note = f"llm: error {type(exc).__name__}"
            log.debug("chat model failed", exc_info=True)
        timings = {**fallback.timings_ms, "generate": round((time.perf_counter() - started) * 1000, 2)}
        log.info("llm answer: %d sentences kept, %d dropped (question of %d chars, %.0f ms)%s", len(kept),
                 dropped, len(question), timings["generate"], f"; {note}" if note else "")
        if note is None and not kept:
            note = "llm: nothing verifiable"
        if note is None:
            answer = replace(fallback, answer="".join(c.text for c in kept).rstrip(), timings_ms=timings,
                             quotes=[q for c in kept for q in c.quotes], composer="llm", composer_note=None)
            try:
                verify(corpus, answer, {c.key for c in fallback.citations})
            except VerificationError as exc:  # cannot happen while check_sentence holds; never show it
                log.error("generated answer failed verification: %s", exc)
                note = "llm: verification failed"
            else:
                yield answer
                return
        yield replace(fallback, timings_ms=timings, composer="extractive", composer_note=note)

    def messages(self, corpus: Corpus, question: str, clauses: list[Citation], scope: list[str]) -> list[BaseMessage]:
        """The prompt: the Japanese rules, then each clause as ``[key] label（heading）`` and its verbatim text."""
        titles = "、".join(corpus.doc(d).title for d in scope)
        blocks = []
        for c in clauses:
            heading = f"（{c.heading}）" if c.heading else ""
            blocks.append(f"[{c.key}] {c.label}{heading}\n{c.text}")
        human = f"対象の規程: {titles}\n\n条文:\n" + "\n\n".join(blocks) + f"\n\n質問: {question}"
        return [SystemMessage(content=SYSTEM_PROMPT), HumanMessage(content=human)]

    def _generate(self, messages: list[BaseMessage]) -> Iterator[str]:
        """The model's visible text as it streams, from a worker thread so the deadline holds even when the
        model blocks (the thread is left to finish on its own; it stops at its next chunk)."""
        chunks: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def run() -> None:
            try:
                for chunk in self.model.stream(messages):
                    if stop.is_set():
                        return
                    chunks.put(("text", _content_text(chunk.content)))
                chunks.put(("end", None))
            except Exception as exc:
                chunks.put(("error", exc))

        threading.Thread(target=run, name="hogo-llm", daemon=True).start()
        deadline = time.monotonic() + self.timeout
        raw, shown = "", 0
        try:
            while True:
                try:
                    kind, value = chunks.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise GenerationTimeout from None
                if kind == "error":
                    raise value
                final = kind == "end"
                if not final:
                    raw += value
                text = visible_text(raw, final)
                if len(text) > shown:
                    yield text[shown:]
                    shown = len(text)
                if final:
                    return
        finally:
            stop.set()


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def visible_text(raw: str, final: bool = False) -> str:
    """``raw`` without ``<think>…</think>`` blocks; a block still open (or a tag cut short) hides the rest."""
    out, i = [], 0
    while True:
        start = raw.find(THINK_OPEN, i)
        if start == -1:
            tail = raw[i:]
            if not final:  # "<thi" may become "<think>" with the next chunk
                for n in range(len(THINK_OPEN) - 1, 0, -1):
                    if tail.endswith(THINK_OPEN[:n]):
                        tail = tail[:-n]
                        break
            out.append(tail)
            return "".join(out)
        out.append(raw[i:start])
        end = raw.find(THINK_CLOSE, start)
        if end == -1:
            return "".join(out)
        i = end + len(THINK_CLOSE)


class SentenceSplitter:
    """Cuts streamed text into sentences: at 。！？ outside quotes and brackets, or at a newline. Keys in
    brackets written just after the 。 and the newlines that follow stay with the sentence."""

    def __init__(self) -> None:
        self.buffer = ""

    def feed(self, text: str) -> list[str]:
        self.buffer += text
        return self._cut(final=False)

    def flush(self) -> list[str]:
        return self._cut(final=True)

    def _cut(self, final: bool) -> list[str]:
        segments = []
        while self.buffer:
            end = _sentence_end(self.buffer, final)
            if end is None:
                break
            segments.append(self.buffer[:end])
            self.buffer = self.buffer[end:]
        return segments


def _sentence_end(buf: str, final: bool) -> int | None:
    depth, i = 0, 0
    while i < len(buf):
        ch = buf[i]
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            depth = max(0, depth - 1)
        elif ch == "\n" or (ch in TERMINATORS and depth == 0):
            break
        i += 1
    else:
        return len(buf) if final else None
    j = i + 1
    if buf[i] != "\n":
        while True:  # keys written after the 。 belong to this sentence
            while j < len(buf) and buf[j] in SPACES:
                j += 1
            if j < len(buf) and buf[j] in "[［":
                close = min((p for p in (buf.find("]", j), buf.find("］", j)) if p != -1), default=-1)
                if close == -1:
                    return len(buf) if final else None
                j = close + 1
                continue
            break
        if j == len(buf) and not final:
            return None
    while j < len(buf) and buf[j] == "\n":
        j += 1
    return j


def quoted_spans(text: str) -> list[tuple[str, str]] | None:
    """The outermost 「…」 and 『…』 spans of ``text`` as (opening mark, span); None when the marks do not
    balance."""
    pairs = {"「": "」", "『": "』"}
    spans: list[tuple[str, str]] = []
    stack: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in pairs:
            if not stack:
                start = i
            stack.append(pairs[ch])
        elif ch in pairs.values():
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                spans.append((text[start], text[start + 1:i]))
    return None if stack else spans


def check_sentence(segment: str, allowed: dict[str, str]) -> Checked | None:
    """The sentence with its keys normalised, or None when it cites no key, cites a key that was not given
    (``allowed``: key -> clause text), or quotes a span that is not verbatim in a clause it cites."""
    body = segment.strip(SPACES + "\n")
    if not body:
        return None
    keys = [_key(k, allowed) for group in KEY_GROUP.findall(body) for k in KEY_SEPARATORS.split(group) if k]
    if not keys or any(key not in allowed for key in keys):
        return None
    spans = quoted_spans(KEY_GROUP.sub("", body))
    if spans is None:
        return None
    quotes = []
    for mark, span in spans:
        key = next((k for k in keys if span and span in allowed[k]), None)
        if key is None:
            return None
        if mark == "「":
            quotes.append((key, span))
    text = KEY_GROUP.sub(lambda m: "".join(f"[{_key(k, allowed)}]" for k in KEY_SEPARATORS.split(m.group(1)) if k),
                         body)
    trailing = segment[len(segment.rstrip("\n")):]
    return Checked(text + trailing, list(dict.fromkeys(keys)), quotes)


def _key(written: str, allowed: dict[str, str]) -> str:
    """A key as written, or its NFKC form when only that was given (ｋｏｒｉｙａｍａ-kijun:２３:１)."""
    if written in allowed:
        return written
    folded = unicodedata.normalize("NFKC", written)
    return folded if folded in allowed else written
