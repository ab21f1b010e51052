"""What kind of answer a question wants: who, what (a list), when, whether it is allowed, how many, a
definition or a procedure.

The kind decides which sentences of the cited clauses carry the answer (``retrieval.facts``): a "who"
question wants the sentence that names an actor or a recipient, a "when" question the one with the
deadline. The cues are the interrogative words staff type and the statutory words that answer them; they
are general Japanese, not words of any regulation or question set.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Kind(StrEnum):
    WHO = "who"
    WHAT = "what"  # what must be written, checked or kept: usually a list the clause introduces
    WHEN = "when"
    ALLOWED = "allowed"
    HOW_MANY = "how_many"
    DEFINITION = "definition"
    PROCEDURE = "procedure"
    GENERAL = "general"


_COUNTERS = "人|回|名|件|個|種類|種|通り|か所|箇所|度"
# Question cues, in priority order: the first kind whose pattern matches wins.
_ASKS: list[tuple[Kind, re.Pattern[str]]] = [
    # 「…って何？」 asks what a word means; 「…って何種類？」「…って何人？」 ask how many
    (Kind.DEFINITION, re.compile(r"とは|って(何|なに|なん)(?!" + _COUNTERS + r")|意味|定義|を指す|に当たる|"
                                 r"に該当する(もの|範囲)")),
    (Kind.HOW_MANY, re.compile(r"何(" + _COUNTERS + r")|いくつ|頻度|何年に")),
    (Kind.WHEN, re.compile(r"いつ|何(日|年|か月|ヶ月|ヵ月|時間)|期限|期間|までに|どのくらい|どれくらい|すぐ|速やか|"
                           r"タイミング|何時")),
    (Kind.WHO, re.compile(r"誰|だれ|どなた|どこ(に|へ|が|の課)|どの(課|部署|部局|人)|責任者は|報告先|連絡先|"
                          r"相談先|担当者?は|役割")),
    # 「持ち帰ってもいいですか」 asks leave; 「何を書けばいいですか」「どうすればいいですか」 ask what or how
    (Kind.ALLOWED, re.compile(r"(て|で)も(いい|良い|よい|大丈夫|構わない|かまわない)|(?<!ば)いいですか|(?<!ば)いいの|"
                              r"(?<!ば)よいか|可能|できますか|できる[?？]|できるか|許され|禁止|だめ|ダメ|ok|問題ない|認められ|"
                              r"(し|て)はいけない|してよい|NG|(て|で)(いい|良い|よい)(です|でしょう)?(か|の)?[?？。]?$")),
    (Kind.WHAT, re.compile(r"何を(書|記載|明記|定め|確認|盛り込|入れ|決め|記録|含め)|記載事項|事項|項目|"
                           r"何が(必要|書)|内容|チェック|書く|書けば|盛り込む|何を(する|しな)|ルール|決まり")),
    (Kind.PROCEDURE, re.compile(r"手順|手続|どうすれば|どうしたら|どうする|どうやって|対応|方法|やり方|流れ|"
                                r"何をすべき|まず|どのように|どうすべき|処理")),
]

# Statutory wording that answers each kind (matched against a clause's sentences).
ANSWERS: dict[Kind, re.Pattern[str]] = {
    Kind.WHO: re.compile(r"(者|長|課|官|室|委員会)(は|が|に|へ)|報告|届け出|申し出|通知|指定|置く|充てる|命ずる|"
                         r"承認|任命|担当"),
    Kind.WHAT: re.compile(r"次に掲げる|次の各号|次のとおり|次に定める|事項|明記|記載|定める"),
    Kind.WHEN: re.compile(r"速やかに|直ちに|遅滞なく|日以内|年以内|月以内|時間以内|期間|までに|毎年|"
                          r"年[0-9一二三四五六七八九十]+回|定期的|経過|保存|終了|前に|後に|都度"),
    Kind.ALLOWED: re.compile(r"ならない|できる|できない|禁止|限り|除き|除く|ただし|承認|許可|認め|限る|制限"),
    Kind.HOW_MANY: re.compile(r"[0-9一二三四五六七八九十百]+(人|回|名|年|日|件|箇所|か所)|以上|以内|一人|複数"),
    Kind.DEFINITION: re.compile(r"とは|をいう|という|をいい|を含む"),
    Kind.PROCEDURE: re.compile(r"講ずる|報告|措置|確認|記録|行う|調査|通知|実施|手続"),
    Kind.GENERAL: re.compile(r"(?!)"),
}


def classify(question: str) -> Kind:
    """The kind of answer ``question`` asks for (GENERAL when no cue matches, e.g. a bare keyword query)."""
    text = unicodedata.normalize("NFKC", question).lower()
    for kind, pattern in _ASKS:
        if pattern.search(text):
            return kind
    return Kind.GENERAL


def answers(kind: Kind, sentence: str) -> bool:
    """Whether ``sentence`` carries the kind of fact the question asks for."""
    return bool(ANSWERS[kind].search(sentence))
