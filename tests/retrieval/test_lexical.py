"""The BM25 yardstick behind the ``lexical`` ranking feature."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.lexical import LexicalIndex, passages_fingerprint
from retrieval.passages import Passage


def passage(n: int, body: str) -> Passage:
    return Passage(f"t:{n}:1", "t", f"t:{n}", "", f"t · 第{n}条", body, "テスト市")


PASSAGES = [
    passage(1, "職員等の特定個人情報等は、関係行政機関へ提出することができる。簡易書留の方法により提供する。"),
    passage(2, "書類等を持ち出す場合は、保護管理者の許可を得る。書類は施錠できる書庫に保管する。"),
    passage(3, "保有個人情報の漏えい等の事案が発生したときは、直ちに保護管理者に報告する。"),
]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(PASSAGES)


def test_attainable_is_the_sum_of_each_tokens_best_passage_score(index):
    tokens = index.query_tokens("関係行政機関に書類を簡易書留で提出")
    assert len(tokens) >= 4
    expected = sum(float(index.scores([t]).max()) for t in tokens if t in index.vocab)
    assert index.attainable(tokens) == pytest.approx(expected, rel=1e-5)
    # Words the passages never use add nothing, and no passage can score above the yardstick.
    assert index.attainable([*tokens, "駐車場"]) == pytest.approx(expected, rel=1e-5)
    assert index.attainable(["駐車場"]) == 0.0
    assert (index.scores(tokens) <= index.attainable(tokens) + 1e-6).all()


def test_a_passage_sharing_one_common_word_is_not_a_full_match(index):
    tokens = index.query_tokens("税務署に書類を送る 関係行政機関 提出 簡易書留")
    share = index.scores(tokens) / index.attainable(tokens)
    # Divided by the best passage's score, both would look alike; as a share of the yardstick the clause
    # holding the statutory words stands well above the one that only says 書類.
    assert np.argmax(share) == 0
    assert share[0] > 0.5 > share[1] > 0


def test_the_yardstick_survives_saving_and_loading(index, tmp_path):
    tokens = index.query_tokens("漏えいしたら保護管理者に報告")
    index.save(tmp_path, passages_fingerprint(PASSAGES))
    loaded = LexicalIndex.open(tmp_path, PASSAGES)
    assert loaded.attainable(tokens) == pytest.approx(index.attainable(tokens), rel=1e-6)


def test_article_passages_join_an_articles_passages_and_keep_appendices_apart():
    from corpus.loader import Corpus
    from retrieval.passages import article_passages, build_passages

    passages = build_passages(Corpus.load())
    articles = article_passages(passages)
    by_key = {a.key: a for a in articles}
    assert len(by_key) == len(articles)
    assert set(by_key) == {p.article_key or p.key for p in passages}
    article = by_key["koriyama-kijun:23"]
    parts = [p for p in passages if p.article_key == "koriyama-kijun:23"]
    assert len(parts) > 1 and article.body == " ".join(p.body for p in parts)
    assert article.heading == parts[0].heading
    appendices = [p for p in passages if p.article_key is None]
    assert appendices and all(by_key[p.key].body == p.body for p in appendices)


def test_the_article_share_is_one_value_per_article():
    from corpus.loader import Corpus
    from retrieval.expansion import Expander
    from retrieval.passages import build_passages
    from retrieval.search import HybridSearcher

    passages = build_passages(Corpus.load())
    searcher = HybridSearcher(passages, LexicalIndex.build(passages), None, Expander([]))
    match = searcher.lexical_match("漏えい等の事案が発生したら保護管理者に報告する", [])
    shares: dict[str, set[float]] = {}
    for passage, share in zip(passages, match.article, strict=True):
        shares.setdefault(passage.article_key or passage.key, set()).add(round(float(share), 9))
    assert all(len(values) == 1 for values in shares.values())
    assert 0 < max(match.article) <= 1
    best = max(shares, key=lambda key: max(shares[key]))
    assert best == "koriyama-kijun:23"  # 事案の報告及び再発防止措置
