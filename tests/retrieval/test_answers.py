"""Answers from the real engine: retrieval, abstention, scope and the verified citation contract."""

from __future__ import annotations

import pytest

from corpus.model import clause_text
from retrieval.answer import VerificationError, verify
from retrieval.facts import is_abridged_span

pytestmark = pytest.mark.slow


def test_lost_usb_cites_the_incident_reporting_clause(engine):
    answer = engine.ask("USBをなくした。誰に報告？", ["koriyama-kijun"])
    assert not answer.abstained
    assert answer.citations[0].key == "koriyama-kijun:23:1"
    assert "保護管理者に報告する" in answer.answer


def test_consignment_contract_question_cites_article_22(engine):
    answer = engine.ask("委託契約書に何を書く？", ["koriyama-kijun"])
    assert [c.article for c in answer.citations[:2]].count("22") >= 1
    assert answer.citations[0].label.startswith("郡山市保有個人情報等の取扱基準 第22条")


def test_uncovered_question_abstains_with_a_pointer_to_the_privacy_office(engine):
    answer = engine.ask("有給休暇は何日取れますか？")
    assert answer.abstained and answer.citations == []
    assert "見当たりませんでした" in answer.answer and "相談" in answer.answer


def test_answer_json_contract(engine, corpus):
    data = engine.ask("マイナンバーの書類を捨てるときは？", ["mima-kitei"], k=5).to_dict()
    assert set(data) == {"question", "scope", "answer", "abstained", "citations", "composer", "timings_ms"}
    assert data["composer"] == "extractive"
    assert data["scope"] == ["mima-kitei"] and len(data["citations"]) >= 5
    first = data["citations"][0]
    assert set(first) == {"key", "doc", "article", "paragraph", "item", "subitem", "label", "heading", "text", "score",
                          "references"}
    assert first["key"].startswith("mima-kitei:24")
    for citation in data["citations"]:
        unit = corpus.unit(citation["key"])
        assert citation["text"] == clause_text(corpus.doc(unit.doc), unit)
        assert citation["doc"] == "mima-kitei"
    scores = [c["score"] for c in data["citations"]]
    assert scores == sorted(scores, reverse=True)
    assert set(data["timings_ms"]) == {"retrieve", "compose"}


def test_every_quote_is_a_verbatim_span_of_its_clause(engine):
    answer = engine.ask("委託先の監査は年に何回？", None)
    assert answer.quotes
    for key, span in answer.quotes:
        citation = next(c for c in answer.citations if c.key == key)
        assert is_abridged_span(span, citation.text) and span in answer.answer


def test_verification_rejects_a_tampered_citation(engine, corpus):
    answer = engine.ask("USBをなくした", ["koriyama-kijun"])
    retrieved = {c.key for c in answer.citations}
    answer.citations[0].text = answer.citations[0].text + "（改変）"
    with pytest.raises(VerificationError):
        verify(corpus, answer, retrieved)
    answer = engine.ask("USBをなくした", ["koriyama-kijun"])
    with pytest.raises(VerificationError):
        verify(corpus, answer, set())  # nothing was retrieved, so nothing may be cited


def test_no_scope_searches_both_cities_and_names_them(engine):
    answer = engine.ask("個人番号を削除したら記録を残す必要はありますか", None, k=8)
    docs = {c.doc for c in answer.citations}
    assert docs == {"koriyama-kijun", "mima-kitei"}
    assert "郡山市" in answer.answer and "美馬市" in answer.answer


def test_unknown_scope_is_a_clear_error(engine):
    from corpus.errors import UnknownDocumentError

    with pytest.raises(UnknownDocumentError, match="loaded: koriyama-kijun, mima-kitei"):
        engine.ask("USB", ["nowhere-city"])


def test_langchain_retriever_returns_clause_documents(engine):
    from retrieval.langchain import HogoRetriever

    docs = HogoRetriever(engine=engine, scope=["mima-kitei"], k=3).invoke("委託先から漏えいしたら？")
    assert len(docs) == 3
    assert docs[0].metadata["key"] == "mima-kitei:25:3"
    assert docs[0].page_content.startswith("委託先から情報漏えい等が発生した場合")


def test_a_list_question_gets_the_items_its_clause_introduces(engine):
    answer = engine.ask("委託契約書に何を書く？", ["koriyama-kijun"])
    for item in ("(1)", "(4)", "(9)"):
        assert item in answer.answer
    assert "個人情報の安全管理措置に関する事項" in answer.answer
    assert "委託終了時における個人情報の消去及び媒体の返却に関する事項" in answer.answer


def test_a_short_list_is_shown_with_longer_items_than_a_long_one(engine):
    """Items share ``ITEM_BUDGET`` characters: the three of 第8条第4項 are shown up to 120 each (the 報告連絡体制 of
    its second item lies past 60), the nine of 第22条第1項 at the 60 of ``ITEM_LIMIT``."""
    from retrieval.answer import ITEM_BUDGET, ITEM_LIMIT

    short = engine.ask("マイナンバーを扱う事務で、保護管理者が整えておかなきゃいけない体制って何？", ["koriyama-kijun"])
    assert "報告連絡体制" in short.answer
    items = [line for line in short.answer.splitlines() if line.startswith("  (")]
    assert len(items) == 3 and max(map(len, items)) > ITEM_LIMIT + 10
    long = engine.ask("委託契約書に何を書く？", ["koriyama-kijun"])
    items = [line for line in long.answer.splitlines() if line.startswith("  (")]
    assert len(items) == 9 and ITEM_BUDGET // len(items) < ITEM_LIMIT
    assert max(len(line) for line in items) <= len("  (9) 「」…") + ITEM_LIMIT


def test_an_item_the_question_singles_out_is_shown_longer(engine):
    """違反 and 監査 are each in one of 第22条第1項's nine items (委託 is in many): those two are cut at
    ``FOCUS_ITEM_LIMIT``, the rest at ``ITEM_LIMIT``."""
    from retrieval.answer import ITEM_LIMIT

    answer = engine.ask("委託契約書 違反時 監査 条項", ["koriyama-kijun"])
    assert "再委託先の監査" in answer.answer
    items = [line for line in answer.answer.splitlines() if line.startswith("  (")]
    assert sum(len(line) > len("  (9) 「」…") + ITEM_LIMIT for line in items) == 1  # (7) is short enough anyway


def test_the_first_line_states_the_answer_from_the_best_clause(engine):
    answer = engine.ask("USBをなくした。誰に報告？", ["koriyama-kijun"])
    lead = answer.answer.splitlines()[0]
    assert lead.startswith("その事案等を認識した職員は、直ちに") and lead.endswith("保護管理者に報告する。（第23条第1項）")
    assert (answer.citations[0].key, lead[: lead.rindex("（")]) in answer.quotes
    assert len(answer.answer) <= 400


def test_answers_without_scope_say_which_city_each_part_belongs_to(engine):
    answer = engine.ask("個人番号を削除したら記録を残す必要はありますか", None, k=8)
    lines = answer.answer.splitlines()
    assert "【郡山市】" in lines and "【美馬市】" in lines
    koriyama, mima = lines.index("【郡山市】"), lines.index("【美馬市】")
    first, second = sorted([koriyama, mima])
    between = "\n".join(lines[first + 1 : second])
    city_of_first = "郡山市" if first == koriyama else "美馬市"
    cited = {c.key: c for c in answer.citations}
    for key, span in answer.quotes:
        if span in between:
            assert cited[key].municipality == city_of_first


def test_a_scoped_answer_never_mixes_in_another_city(engine):
    answer = engine.ask("マイナンバーの書類を捨てるときは？", ["mima-kitei"])
    assert "【" not in answer.answer and all(c.doc == "mima-kitei" for c in answer.citations)


def test_a_reference_in_a_stated_clause_is_explained_with_the_clause_it_names(engine, corpus):
    answer = engine.ask("違反の兆候に気づいた職員はどうする", ["koriyama-kijun"])
    assert answer.citations[0].key == "koriyama-kijun:12:2"
    gloss = next(line for line in answer.answer.splitlines() if line.strip().startswith("※"))
    assert gloss.strip().startswith("※「前項」は第12条第1項「職員は、")
    quoted = [span for key, span in answer.quotes if key == "koriyama-kijun:12:1"]
    assert quoted and is_abridged_span(quoted[0], clause_text(corpus.doc("koriyama-kijun"),
                                                              corpus.unit("koriyama-kijun:12:1")))
    verify(corpus, answer, {c.key for c in answer.citations})


def test_a_reference_to_an_article_of_one_unnumbered_paragraph_is_explained_with_its_sentence(engine, corpus):
    # 美馬市 第24条第1項 cites 第4条, whose sentence sits in its single unnumbered paragraph.
    answer = engine.ask("保存期間が過ぎた書類はどうする？", ["mima-kitei"])
    glosses = [line.strip() for line in answer.answer.splitlines() if line.strip().startswith("※")]
    assert any(g.startswith("※「第4条」は第4条「市における職員等の特定個人情報等を取り扱う事務は") for g in glosses)
    assert all(g.endswith("」") for g in glosses)  # never a bare 「第4条」は第4条
    verify(corpus, answer, {c.key for c in answer.citations})


def test_citations_list_their_references_resolved(engine):
    data = engine.ask("総括保護管理者は報告を受けたらどうする", ["koriyama-kijun"]).to_dict()
    cited = {c["key"]: c for c in data["citations"]}
    assert {"key": "koriyama-kijun:23:3", "keys": ["koriyama-kijun:23:3"], "label": "第23条第3項", "text": "前項",
            "external": False, "instrument": None} in cited["koriyama-kijun:23:4"]["references"]
    for citation in data["citations"]:
        for ref in citation["references"]:
            assert ref["text"] in citation["text"]


def test_a_quote_of_a_clause_neither_cited_nor_referred_to_fails_verification(engine, corpus):
    answer = engine.ask("違反の兆候に気づいた職員はどうする", ["koriyama-kijun"])
    answer.quotes.append(("koriyama-kijun:30:1", "サイバーセキュリティ"))
    with pytest.raises(VerificationError):
        verify(corpus, answer, {c.key for c in answer.citations})


@pytest.mark.parametrize("question", ["安全管理措置", "個人情報の安全管理", "研修は必要？", "パスワード管理", "データ消去",
                                      "個人情報漏洩時の対応手順"])
def test_core_duties_in_the_rules_own_words_never_abstain(engine, question):
    for scope in (None, ["koriyama-kijun"]):
        assert not engine.ask(question, scope).abstained, (question, scope)


def test_questions_in_other_words_still_abstain(engine):
    searcher = engine.searcher
    idx = searcher._scope(None)
    assert not searcher.in_rules_words("有給休暇は何日取れますか？", idx)  # 有給休暇 is not the rules' word
    assert searcher.in_rules_words("安全管理措置", idx)
    for question in ("有給休暇は何日取れますか？", "住民票の写しの交付手数料はいくら？"):
        assert engine.ask(question).abstained


def test_a_reference_to_a_form_is_explained_with_the_forms_title(corpus):
    from retrieval.answer import Layout

    layout = Layout(corpus, "様式第1号は何？", set(), multi_doc=False)
    gloss = layout.gloss("様式第1号", "koriyama-kijun:form-1")
    assert gloss.strip() == "※「様式第1号」は様式第1号「事務取扱担当者一覧（個人単位）」"  # not 「（第8条関係）」
    assert layout.quotes == [("koriyama-kijun:form-1", "事務取扱担当者一覧（個人単位）")]


@pytest.mark.parametrize("question", ["窓口で住民票を誤交付した。どうする？", "住民票の写しを別の人に交付してしまった"])
def test_an_incident_about_a_matter_of_its_own_is_answered_not_abstained(engine, question):
    # 住民票 draws the question to the off-topic line on issuing certificates; the incident is still the rules'.
    answer = engine.ask(question, ["koriyama-kijun"])
    assert not answer.abstained
    keys = [c.key for c in answer.citations]
    assert "koriyama-kijun:23:1" in keys or "koriyama-kijun:17_2:1" in keys


def test_an_uncovered_question_that_mentions_no_incident_still_abstains(engine):
    assert engine.ask("住民票の写しの交付手数料はいくら？", ["koriyama-kijun"]).abstained


def test_a_near_topic_question_in_words_a_new_citys_rules_lack_abstains(corpus, data_dir, tmp_path):
    from retrieval.engine import AskEngine
    from retrieval.search import FOREIGN_PULL_BELOW

    # No example questions: coverage is judged by the clauses alone, as for a city just added.
    (tmp_path / "examples.tsv").write_text("", encoding="utf-8")
    engine = AskEngine.open(corpus, data_dir, examples=tmp_path / "examples.tsv")
    searcher, scope = engine.searcher, ["koriyama-kijun"]
    idx = searcher._scope(scope)
    question = "時間外勤務命令簿はどこで保管する？"  # a record of staff overtime: 保管 is the rules' word, the rest is not
    result = searcher.search(question, scope)
    assert result.relevance >= searcher.ranker.threshold(False)  # the margin alone would answer it
    assert searcher.foreign_pull(question, idx) < FOREIGN_PULL_BELOW
    assert result.abstain and engine.ask(question, scope).abstained
    # A covered question keeps its answer though some of its words are not the rules' (出張先, ノートパソコン).
    covered = "出張先でノートパソコンを盗まれた。誰に報告？"
    assert FOREIGN_PULL_BELOW < searcher.foreign_pull(covered, idx) < 0
    assert not engine.ask(covered, scope).abstained
    assert searcher.foreign_pull("安全管理措置", idx) == 0.0  # every word the rules' own
    # Consigning work is settled whatever the work is: the words the rules lack are the work's (放課後児童クラブ).
    consigned = "放課後児童クラブの運営委託の契約書に何を書く？"
    assert searcher.foreign_pull(consigned, idx) < FOREIGN_PULL_BELOW
    answer = engine.ask(consigned, scope)
    assert not answer.abstained and answer.citations[0].article == "22"


def test_the_foreign_word_rule_leaves_scopes_with_example_questions_to_them(engine):
    # With the city's example questions the coverage score has its own threshold and the rule is not applied:
    # a covered question in words the rules lack (NPO, 子育てサークル, イベント案内) keeps its answer.
    from retrieval.search import FOREIGN_PULL_BELOW

    question = "子育てサークルのNPOにイベント案内用で世帯リストを渡したい。書面は要る？"
    searcher, scope = engine.searcher, ["koriyama-kijun"]
    idx = searcher._scope(scope)
    assert searcher.example_rows(idx) is not None
    assert searcher.foreign_pull(question, idx) < FOREIGN_PULL_BELOW
    answer = engine.ask(question, scope)
    assert not answer.abstained and answer.citations[0].key.startswith("koriyama-kijun:21")


def test_single_word_vectors_are_cached_and_the_cache_is_bounded(engine, monkeypatch):
    import numpy as np

    from retrieval import search

    searcher = engine.searcher
    monkeypatch.setattr(searcher, "_word_vectors", {})
    monkeypatch.setattr(search, "WORD_VECTOR_CACHE", 3)
    first = searcher.word_vectors(["健康診断", "出勤簿"])
    assert set(searcher._word_vectors) == {"健康診断", "出勤簿"}
    expected = np.asarray(engine.dense.embedder.embed_queries(["健康診断", "出勤簿"]), dtype=np.float32)
    assert np.allclose(first, expected, atol=1e-5)
    again = searcher.word_vectors(["出勤簿", "健康診断"])  # from the cache, in the order asked
    assert np.array_equal(again, first[::-1])
    searcher.word_vectors(["育児休業", "タイムカード"])  # 4 > 3: the cache starts over with these
    assert set(searcher._word_vectors) == {"育児休業", "タイムカード"}
