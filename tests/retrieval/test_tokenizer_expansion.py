from __future__ import annotations

from retrieval.expansion import Expander
from retrieval.tokenizer import tokenize


def test_variant_spellings_meet_under_normalized_form():
    assert set(tokenize("漏えい")) == set(tokenize("漏洩"))
    assert set(tokenize("取扱い")) & set(tokenize("取り扱い"))
    assert tokenize("ＵＳＢメモリ")[:2] == tokenize("USBメモリ")[:2]


def test_particles_and_symbols_are_dropped():
    tokens = tokenize("USBメモリを紛失した場合、誰に報告しますか？")
    assert "を" not in tokens and "、" not in tokens and "?" not in tokens
    assert {"usb", "紛失", "報告"} <= set(tokens)


def test_colloquial_words_expand_to_statutory_terms():
    expander = Expander.load()
    assert {"電磁的記録媒体", "紛失"} <= set(expander.terms("USBをなくした"))
    assert "委託" in expander.terms("業者に外注したい")
    assert "個人番号" in expander.terms("マイナンバーの書類")
    assert "廃棄" in expander.terms("書類を捨てる")
    assert expander.terms("今日の天気") == []


def test_expansion_file_entries_are_general_vocabulary():
    expander = Expander.load()
    assert len(expander.entries) >= 40
    assert all(len(source) <= 20 for e in expander.entries for source in e.sources)


def test_character_bigrams_ignore_punctuation_width_and_case():
    from retrieval.lexical import char_bigram_tokens

    assert char_bigram_tokens("ＵＳＢ、紛失。") == ["us", "sb", "b紛", "紛失"]
    assert char_bigram_tokens("個人 情報") == char_bigram_tokens("個人情報")
    assert char_bigram_tokens("「」。") == [] and char_bigram_tokens("番") == ["番"]


def test_character_bigram_bm25_meets_a_compound_that_word_tokens_split():
    from retrieval.lexical import CharBigramIndex

    texts = ["保護管理者は、個人情報ファイル簿を作成し、公表する。", "職員は、研修を受けなければならない。",
             "保有個人情報の利用目的を明示する。"]
    index = CharBigramIndex(texts)
    scores = index.scores("ファイル簿って誰が作るの？")
    assert scores.argmax() == 0 and scores[1] == 0
    assert not index.scores("天気").any()  # no shared bigram: nothing scores
