"""Generative answers through LangChain's own fake chat models: only verified sentences reach staff, and any
timeout, error or unverifiable output leaves the extractive answer in place, saying so."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from retrieval.answer import Answer, compose, verify
from retrieval.generate import GenerativeComposer, SentenceSplitter, check_sentence, visible_text
from retrieval.passages import build_passages
from retrieval.search import Hit, SearchResult

QUESTION = "USBをなくした。誰に報告？"
SCOPE = ["koriyama-kijun"]
RETRIEVED = ["koriyama-kijun:23:1", "koriyama-kijun:23:2", "koriyama-kijun:23:3", "koriyama-kijun:23:4"]

REPORT = "職員は「直ちに当該保有個人情報等を管理する保護管理者に報告する」必要があります[koriyama-kijun:23:1]。"
MEASURES = "保護管理者は、被害の拡大防止のため必要な措置を速やかに講じます。[koriyama-kijun:23:2]\n"
MAYOR = "重大な事案は総括保護管理者から市長に報告されます[koriyama-kijun:23:3][koriyama-kijun:23:4]。"
INVENTED_KEY = "報告は24時間以内に行います[koriyama-kijun:99:1]。"
UNRETRIEVED_KEY = "委託先にも報告させます[koriyama-kijun:22:1]。"
INVENTED_QUOTE = "職員は「直ちに所属長及び警察に届け出る」ものとされています[koriyama-kijun:23:1]。"
NO_KEY = "以上が回答です。"


@pytest.fixture(scope="module")
def retrieval(corpus) -> SearchResult:
    passages = {p.key: p for p in build_passages(corpus)}
    hits = [Hit(passages[key], 1.0 - 0.05 * i, 0.0, 0.0) for i, key in enumerate(RETRIEVED)]
    return SearchResult(hits, relevance=1.0, timings_ms={"retrieve": 1.0})


@pytest.fixture
def extractive(corpus, retrieval) -> Answer:
    return compose(corpus, QUESTION, retrieval, SCOPE, 4, abstain=False)


def generate(corpus, retrieval, extractive, model, **limits) -> Answer:
    return GenerativeComposer(model, **limits).compose(corpus, QUESTION, retrieval, SCOPE, 4, extractive)


def scripted(*responses: str) -> FakeListChatModel:
    return FakeListChatModel(responses=list(responses))


class BlockingModel(FakeListChatModel):
    """Streams its response up to the marker, then blocks until released (a model that stops answering)."""

    marker: str = "<block>"
    release: threading.Event = threading.Event()

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        before, _, after = self.responses[0].partition(self.marker)
        for ch in before:
            yield ChatGenerationChunk(message=AIMessageChunk(content=ch))
        self.release.wait(10)
        for ch in after:
            yield ChatGenerationChunk(message=AIMessageChunk(content=ch))


class FailingModel(FakeListChatModel):
    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        raise ConnectionError("endpoint unreachable")


def test_a_good_answer_is_kept_with_the_retrieved_citations(corpus, retrieval, extractive):
    answer = generate(corpus, retrieval, extractive, scripted(REPORT + MEASURES + MAYOR))
    assert answer.composer == "llm" and answer.composer_note is None and not answer.abstained
    assert answer.answer == REPORT + MEASURES + MAYOR
    assert [c.key for c in answer.citations] == RETRIEVED  # retrieval's order, verbatim texts
    assert answer.quotes == [("koriyama-kijun:23:1", "直ちに当該保有個人情報等を管理する保護管理者に報告する")]
    verify(corpus, answer, set(RETRIEVED))
    data = answer.to_dict()
    assert data["composer"] == "llm" and "composer_note" not in data and "generate" in data["timings_ms"]


def test_generic_fake_model_through_the_same_seam(corpus, retrieval, extractive):
    model = GenericFakeChatModel(messages=iter([REPORT + MAYOR]))
    answer = generate(corpus, retrieval, extractive, model)
    assert answer.composer == "llm" and answer.answer == REPORT + MAYOR


def test_sentences_citing_invented_or_unretrieved_keys_are_dropped(corpus, retrieval, extractive, caplog):
    with caplog.at_level(logging.INFO, logger="retrieval.generate"):
        answer = generate(corpus, retrieval, extractive, scripted(REPORT + INVENTED_KEY + UNRETRIEVED_KEY + MAYOR))
    assert answer.composer == "llm" and answer.answer == REPORT + MAYOR
    assert "99:1" not in answer.answer and "22:1" not in answer.answer
    assert "2 sentences kept, 2 dropped" in caplog.text and QUESTION not in caplog.text


def test_a_sentence_with_an_invented_quote_or_no_key_is_dropped(corpus, retrieval, extractive):
    answer = generate(corpus, retrieval, extractive, scripted(INVENTED_QUOTE + NO_KEY + MEASURES))
    assert answer.composer == "llm" and answer.answer == MEASURES.rstrip()
    assert answer.quotes == []


def test_a_quote_must_come_from_a_clause_the_sentence_cites(corpus, retrieval, extractive):
    borrowed = "総括保護管理者は「直ちに当該保有個人情報等を管理する保護管理者に報告する」[koriyama-kijun:23:4]。"
    answer = generate(corpus, retrieval, extractive, scripted(borrowed + MEASURES))
    assert answer.answer == MEASURES.rstrip()


def test_nothing_verifiable_falls_back_to_the_extractive_answer(corpus, retrieval, extractive):
    answer = generate(corpus, retrieval, extractive, scripted(INVENTED_KEY + INVENTED_QUOTE + NO_KEY))
    assert answer.composer == "extractive" and answer.composer_note == "llm: nothing verifiable"
    assert answer.answer == extractive.answer and answer.quotes == extractive.quotes
    assert answer.to_dict()["composer_note"] == "llm: nothing verifiable"


def test_a_model_that_stops_answering_times_out_to_the_extractive_answer(corpus, retrieval, extractive):
    model = BlockingModel(responses=[REPORT + "<block>" + MAYOR], release=threading.Event())
    try:
        answer = generate(corpus, retrieval, extractive, model, timeout=0.3)
    finally:
        model.release.set()
    assert answer.composer == "extractive" and answer.composer_note == "llm: timeout"
    assert answer.answer == extractive.answer


def test_a_slow_model_times_out(corpus, retrieval, extractive):
    model = FakeListChatModel(responses=[REPORT], sleep=0.05)  # ~60 characters: about 3 s in all
    answer = generate(corpus, retrieval, extractive, model, timeout=0.3)
    assert answer.composer_note == "llm: timeout"


@pytest.mark.parametrize(("model", "note"), [
    (FailingModel(responses=[""]), "llm: error ConnectionError"),
    (FakeListChatModel(responses=[REPORT + MAYOR], error_on_chunk_number=70), "llm: error FakeListChatModelError"),
])
def test_a_model_error_falls_back_and_names_the_error(corpus, retrieval, extractive, model, note):
    answer = generate(corpus, retrieval, extractive, model)
    assert answer.composer == "extractive" and answer.composer_note == note
    assert answer.answer == extractive.answer


def test_streaming_yields_each_verified_sentence_before_the_model_finishes(corpus, retrieval, extractive):
    model = BlockingModel(responses=[REPORT + INVENTED_KEY + "<block>" + MAYOR], release=threading.Event())
    pieces = GenerativeComposer(model, timeout=5).stream(corpus, QUESTION, retrieval, SCOPE, 4, extractive)
    assert next(pieces) == REPORT  # while the model is still blocked: sent as soon as it is verified
    model.release.set()
    rest = list(pieces)
    assert rest[:-1] == [MAYOR]  # the invented key never streams
    assert isinstance(rest[-1], Answer) and rest[-1].answer == REPORT + MAYOR and rest[-1].composer == "llm"


def test_a_timeout_after_streamed_sentences_ends_with_the_fallback(corpus, retrieval, extractive):
    model = BlockingModel(responses=[REPORT + "重大な<block>" + MAYOR], release=threading.Event())
    try:
        pieces = list(GenerativeComposer(model, timeout=0.3).stream(corpus, QUESTION, retrieval, SCOPE, 4,
                                                                     extractive))
    finally:
        model.release.set()
    assert pieces[0] == REPORT and pieces[-1].composer_note == "llm: timeout"
    assert pieces[-1].answer == extractive.answer


class Refusing(FakeListChatModel):
    def _stream(self, *args, **kwargs):
        raise AssertionError("an abstained answer reached the model")


def test_abstained_answers_never_reach_the_model(corpus, retrieval):
    abstained = compose(corpus, "有給休暇は何日？", retrieval, SCOPE, 4, abstain=True)
    answer = GenerativeComposer(Refusing(responses=[""])).compose(corpus, "有給休暇は何日？", retrieval, SCOPE, 4,
                                                                  abstained)
    assert answer is abstained and answer.composer == "extractive" and answer.composer_note is None


def test_the_prompt_carries_the_clauses_with_their_keys(corpus, extractive):
    composer = GenerativeComposer(scripted(""), max_clauses=2)
    system, human = composer.messages(corpus, QUESTION, extractive.citations[:2], SCOPE)
    assert "[koriyama-kijun:23:1]" in system.content and "「」" in system.content
    assert "[koriyama-kijun:23:1] 郡山市保有個人情報等の取扱基準 第23条第1項" in human.content
    assert extractive.citations[1].text in human.content and "koriyama-kijun:23:3" not in human.content
    assert human.content.endswith(f"質問: {QUESTION}")


def test_only_the_clauses_given_to_the_model_may_be_cited(corpus, retrieval, extractive):
    answer = generate(corpus, retrieval, extractive, scripted(REPORT + MAYOR), max_clauses=2)
    assert answer.answer == REPORT  # 23:3 and 23:4 were retrieved but not in the prompt


def test_reasoning_is_hidden_and_key_spellings_are_normalised(corpus, retrieval, extractive):
    reply = f"<think>[koriyama-kijun:23:1] 下書き。</think>{REPORT}保護管理者が措置を講じます［koriyama-kijun:２３:２、koriyama-kijun:23:3］。"
    answer = generate(corpus, retrieval, extractive, scripted(reply))
    assert answer.answer == REPORT + "保護管理者が措置を講じます[koriyama-kijun:23:2][koriyama-kijun:23:3]。"
    assert visible_text("前<thi") == "前" and visible_text("前<thi", final=True) == "前<thi"


def test_sentences_split_outside_quotes_and_keep_trailing_keys():
    splitter = SentenceSplitter()
    parts = []
    for ch in "「報告する。」とされています。[a:1]\n・第1号の事項[a:1:1]\n最後[a:2]":
        parts += splitter.feed(ch)
    parts += splitter.flush()
    assert parts == ["「報告する。」とされています。[a:1]\n", "・第1号の事項[a:1:1]\n", "最後[a:2]"]


def test_unbalanced_quotes_fail_the_check():
    allowed = {"a:1": "報告する。"}
    assert check_sentence("「報告する[a:1]。", allowed) is None
    assert check_sentence("「報告する」[a:1]。", allowed).quotes == [("a:1", "報告する")]
