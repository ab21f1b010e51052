"""The pieces an extractive answer is cut from: question kinds, sentences, abridged spans, main clauses."""

from __future__ import annotations

import pytest

from corpus.loader import Corpus
from corpus.parser import parse_text
from retrieval.answer import asks, choose
from retrieval.facts import abridge, condition, introduces_list, is_abridged_span, main_clause, sentences
from retrieval.intent import Kind, classify
from retrieval.passages import Passage
from retrieval.search import Hit

REPORT = ("保有個人情報等の漏えい等安全確保の上で問題となる事案の発生のおそれを認識した場合に、その事案等を認識した職員は、"
          "直ちに当該保有個人情報等を管理する保護管理者に報告する。")


@pytest.mark.parametrize(("question", "kind"), [
    ("USBをなくした。誰に報告？", Kind.WHO),
    ("漏えいの報告先はどこに？", Kind.WHO),
    ("委託契約書に何を書く？", Kind.WHAT),
    ("委託契約書 記載事項", Kind.WHAT),
    ("保存期間は何年？", Kind.WHEN),
    ("いつまでに報告すればいい？", Kind.WHEN),
    ("個人情報を自宅に持ち帰ってもいい？", Kind.ALLOWED),
    ("再委託はできますか", Kind.ALLOWED),
    ("個人情報を持ち出していい？", Kind.ALLOWED),  # ていい without も, as staff type it
    ("名簿を家に持ち帰っていいですか", Kind.ALLOWED),
    ("どうしていいかわからない", Kind.GENERAL),
    ("総括保護管理者は何人置く？", Kind.HOW_MANY),
    ("取扱担当者って何種類あるの？", Kind.HOW_MANY),  # not 「って何」, a definition
    ("台帳にはどんな項目を書けばいいですか。", Kind.WHAT),  # 〜ばいいですか asks what, not leave
    ("どうすればいいですか", Kind.PROCEDURE),
    ("どういう手順で送ればいいですか", Kind.PROCEDURE),
    ("USBメモリを使うときの手続は？", Kind.PROCEDURE),
    ("パスワードってどういうルールで設定するの？", Kind.WHAT),
    ("保護管理者って何？", Kind.DEFINITION),
    ("「取扱区域」ってどういう意味？", Kind.DEFINITION),
    ("特定個人情報とは", Kind.DEFINITION),
    ("個人情報漏洩時の対応手順", Kind.PROCEDURE),
    ("マイナンバー 廃棄", Kind.GENERAL),
])
def test_questions_are_classified_by_the_answer_they_want(question, kind):
    assert classify(question) is kind


def test_sentences_do_not_split_inside_brackets():
    text = "個人番号（行政手続法（平成25年法律第27号。以下「番号法」という。）第2条に規定するもの）を扱う。また、記録する。"
    found = sentences(text)
    assert [s.text for s in found] == [text[: text.index("また")], "また、記録する。"]
    assert all(text[s.start : s.start + len(s.text)] == s.text for s in found)


def test_abridge_drops_boilerplate_parentheticals_but_keeps_what_a_term_covers():
    text = "職員は、パスワード等（パスワード、ICカード、生体情報等をいう。）を設定し、会社法（平成17年法律第86号）の規定に従う。"
    short = abridge(text)
    assert "ICカード" in short and "平成17年" not in short and "会社法…の規定" in short
    assert is_abridged_span(short, text)


def test_a_parenthetical_naming_the_term_asked_about_is_kept():
    text = "特定個人情報等を取り扱う事務を実施する区域（以下「取扱区域」という。）においては、施錠可能な場所に保管する。"
    assert "以下「取扱区域」という。" not in abridge(text)
    assert "以下「取扱区域」という。" in abridge(text, asked="「取扱区域」ってどういう意味？")


def test_abridge_cuts_at_a_comma_and_marks_it():
    short = abridge(REPORT, limit=60)
    assert short.endswith("…") and len(short) <= 61 and is_abridged_span(short, REPORT)


def test_abridged_spans_must_keep_their_pieces_in_order():
    assert is_abridged_span("職員は、…保護管理者に報告する。", REPORT)
    assert not is_abridged_span("保護管理者に報告する。…職員は、", REPORT)
    assert not is_abridged_span("職員は、…市長に報告する。", REPORT)
    assert not is_abridged_span("…", REPORT)


def test_main_clause_drops_the_condition_and_keeps_an_opening_topic():
    assert main_clause(REPORT) == "その事案等を認識した職員は、直ちに当該保有個人情報等を管理する保護管理者に報告する。"
    assert condition(REPORT, main_clause(REPORT)).endswith("認識した場合に、")
    entrust = "保護管理者は、業務を外部に委託する場合には、適切な管理を行う能力を有しない者を選定しないよう必要な措置を講ずる。"
    assert main_clause(entrust) == "保護管理者は、…適切な管理を行う能力を有しない者を選定しないよう必要な措置を講ずる。"
    assert is_abridged_span(main_clause(entrust), entrust)
    plain = "総括保護管理者は、市長を補佐する。"
    assert main_clause(plain) == plain


def test_list_leads_are_recognised():
    assert introduces_list("契約書に、次に掲げる事項を明記する。")
    assert introduces_list("保有個人情報等の適正な取扱いを確保するため、次の職を置く。")
    assert not introduces_list("保護管理者に報告する。")


def test_abridge_never_cuts_inside_a_parenthetical():
    text = ("職員は、保護管理者の許可を得たうえで、媒体を持ち出す場合には、原則として、"
            "パスワード等(パスワード、ICカード、生体情報等をいう。以下同じ。)を使用して権限を識別する機能を設定する。")
    short = abridge(text, limit=text.index("ICカード") + 2)
    assert short.endswith("原則として、…") and is_abridged_span(short, text)


def chosen(lines: list[str], scores: list[tuple[str, float]], kind: Kind = Kind.GENERAL, extra: int = 0) -> list[str]:
    """The keys ``choose`` states for hits with ``scores`` on a regulation of ``lines``."""
    corpus = Corpus({"t": parse_text("\n".join(lines), doc_id="t", title="テスト町規程")})

    def hit(key: str, score: float) -> Hit:
        unit = corpus.unit(key)
        return Hit(Passage(key, "t", f"t:{unit.article}", "", "", unit.text, "テスト町"), score, 0.0, 0.0)

    return [h.passage.key for h in choose(corpus, [hit(k, s) for k, s in scores], 5, kind, extra)]


def test_a_definition_item_is_stated_alone_unless_a_definition_is_asked():
    """「USBメモリを使うときの手続は？」 meets the definition of the term USBメモリ falls under; it wants that term,
    not every term of the rules: the list of definitions is stated whole only for a definition question."""
    lines = [
        "（定義）",
        "第1条　この規程において、次に掲げる用語の意義は、それぞれ当該各号に定めるところによる。",
        "一　記録媒体　USBメモリその他の持ち運ぶことができる媒体をいう。",
        "二　職員　町の職員をいう。",
        "（記録媒体の使用）",
        "第2条　職員は、記録媒体を使用するときは、課長の許可を得なければならない。",
        "（事務の手順）",
        "第3条　課長は、事務の手順を次に掲げるとおり定める。",
        "一　受付",
        "二　審査",
    ]
    scores = [("t:1:1:1", 1.0), ("t:2:1", 0.9), ("t:3:1:1", 0.8), ("t:1:1", 0.5), ("t:3:1", 0.4)]
    keys = chosen(lines, scores, Kind.PROCEDURE)
    assert keys[:2] == ["t:1:1:1", "t:2:1"] and "t:1:1" not in keys
    assert "t:3:1" in keys  # another list is still stated through its lead
    assert chosen(lines, scores, Kind.DEFINITION)[0] == "t:1:1"


@pytest.mark.parametrize(("question", "count"), [
    ("USBをなくした。誰に報告？", 1),
    ("誰にいつまでに報告すればいいですか？報告書の期限も知りたいです", 2),
    ("監査は年に何回行いますか。また、改善の報告は何日以内ですか。", 2),
    ("台帳はいつまでに更新する？何を記録するの？", 2),
    ("委託契約書に何を書く？", 1),
])
def test_how_many_things_a_question_asks(question, count):
    assert asks(question) == count


def test_a_question_asking_two_things_states_one_clause_more():
    lines = [f"第{n}条　課長は、第{n}の事務を行う。" for n in range(1, 6)]
    scores = [(f"t:{n}:1", score) for n, score in [(1, 1.0), (2, 0.5), (3, 0.3), (4, 0.07), (5, 0.01)]]
    assert chosen(lines, scores) == ["t:1:1", "t:2:1", "t:3:1"]
    assert chosen(lines, scores, extra=1) == ["t:1:1", "t:2:1", "t:3:1", "t:4:1"]


def test_a_what_question_gets_the_list_of_its_best_article():
    """「パスワードはどういうルールで設定する？」: the article's list of rules is stated even from the fourth hit."""
    lines = [
        "（パスワード）",
        "第1条　課長は、職員ごとにパスワードを付与しなければならない。",
        "2　職員は、パスワードを他人に知らせてはならない。",
        "3　職員は、パスワードが知られたときは、直ちに変更しなければならない。",
        "4　職員は、次に掲げるところによりパスワードを設定しなければならない。",
        "一　12文字以上とすること。",
        "二　90日ごとに変更すること。",
    ]
    scores = [("t:1:1", 1.0), ("t:1:2", 0.5), ("t:1:3", 0.3), ("t:1:4", 0.2)]
    assert chosen(lines, scores, Kind.WHAT) == ["t:1:1", "t:1:2", "t:1:4"]
    assert chosen(lines, scores, Kind.WHO) == ["t:1:1", "t:1:2", "t:1:3"]
