"""Reading statutory sentences: who does what, to whom, on which condition.

Japanese regulations state duties in a few fixed shapes, whatever the city:
「Xは、…Yに報告する」, 「…を認識した職員は、直ちに…Yに報告しなければならない」, 「Xは、Yから…の報告を受けたときは、…」,
and items that inherit the subject of their paragraph (「利用者は、次のとおり…」 → 「(2) 運用管理者に報告すること。」).
A post (職) is a noun phrase ending in 者, 長, 監, 主任, 責任者, 管理者, 職員, 担当者, 課, 室, 機関, 委員会 …
These helpers read those shapes from a sentence's own words; nothing here knows any particular regulation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from corpus.model import Regulation, Unit
from retrieval.facts import sentences

_OPEN, _CLOSE = "（(「『", "）)」』"
_NOUN = "一-龥々〆ヶァ-ヺーＡ-Ｚ・A-Z"
NOUN_RUN = re.compile(f"[{_NOUN}]+$")
POST_END = re.compile(r"(?:者|長|官|監|主任|主幹|員|課|室|部|局|機関|委員会|委託先|市|町|村|[A-ZＡ-Ｚ]{2,})等?$")
NOT_POSTS = re.compile(r"^(?:前|次|同|本|当該|全|各)(?:部|市|町|村)$|^部$|第三者$")
JOINER = re.compile(r"(?:及び|並びに|又は|若しくは|、|・)$")
# The nouns regulations use for telling a post about an incident: 報告 most often, also 通報, 連絡, 通知
# (「市長に通知する」; 本人 is no post, so notice to the person is not taken for a report), 第一報, 速報, 上申 and
# 届出. Each is a duty only in a verb form (「通報しなければならない」「第一報を行う」「届け出る」), so 「報告連絡体制」
# 「連絡調整会議」 are not.
_REPORTING = "報告|通報|連絡|通知|第一報|速報|上申|届出"
REPORT_NOUN = re.compile(f"{_REPORTING}|届け出")
REPORT_VERB = re.compile(f"(?P<noun>{_REPORTING})"
                         r"(?:する|し(?!ない)|すること|させ|を(?:行|入れ|す))"
                         r"|(?P<todoke>届け出)(?:る|な(?=ければ|くては)|ること)"
                         r"|(?<=報告書)(?P<submit>[^。]{0,80}?提出)(?:する|し(?!ない)|すること)")
BACK_REFERENCE = re.compile(r"(?:この|その)場合において(?:は)?、")
ASIDE_END = re.compile(r"[（(]＿*[）)]$")  # a masked aside at the end of a phrase
RECEIVED = re.compile(f"(?:{_REPORTING})を受け")
# 「…場合には、」「…ときは、」; brackets are masked (＿) wherever this is matched: 「場合(…を含む。)には、」
CONDITION_END = re.compile(r"(?:場合(?:[（(]＿*[）)])?(?:に(?:は|おいて(?:は)?)?|は|であっても)"
                           r"|とき(?:は|には)|際(?:に(?:は)?|は))、")
BOILERPLATE = re.compile(r"^[（(]以下|(?:法律|条例|規則|訓令|告示|政令|省令)第|において同じ")
ENDINGS = (
    ("しなければならない", "する"), ("しなくてはならない", "する"), ("するものとする", "する"),
    ("ものとする", ""), ("すること", "する"), ("とすること", "とする"),
)
# 行わなければならない → 行う, 講じなければならない → 講じる, 定めなければならない → 定める
_NEGATIVE_STEM = re.compile(r"([わかさたなまらがばいきしちにみりぎびえけせてねめれげべじ])"
                            r"(?:なければならない|なくてはならない)$")
_A_TO_U = dict(zip("わかさたなまらがば", "うくすつぬむるぐぶ", strict=True))
LAWS = (("行政手続における特定の個人を識別するための番号の利用等に関する法律", "番号法"),
        ("個人情報の保護に関する法律", "個人情報保護法"))


@dataclass(frozen=True)
class Report:
    """One reporting duty read from a sentence: ``actors`` report to ``recipients``."""

    actors: tuple[str, ...]  # posts, e.g. ("保護管理者", "統括情報システム管理者")
    role: str  # how the sentence names the actor: 「事案等を認識した職員」, or the posts joined with ・
    recipients: tuple[str, ...]
    action: str  # the sentence's own words from after the actor to the report verb, in plain form
    written: bool = False  # a report in writing (「報告書を…提出する」), which follows the first reports


def masked(text: str) -> str:
    """``text`` with everything inside brackets replaced by ＿, so patterns match only the sentence itself
    while offsets still point into the original."""
    out, depth = [], 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
            out.append(ch)
        elif ch in _CLOSE and depth:
            depth -= 1
            out.append(ch)
        else:
            out.append("＿" if depth else ch)
    return "".join(out)


def without_parentheticals(text: str) -> str:
    """The text with its （…） asides removed (definitions, 「以下…という。」, examples)."""
    out, depth = [], 0
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def tidy(text: str) -> str:
    """Asides a reader can do without dropped (law numbers, 「以下…という。」, 「…において同じ。」, any over 40
    characters), national laws by their short names (「行政手続における…法律(平成25年法律第27号)」 → 「番号法」),
    and a leading ただし/また/なお removed."""
    out, depth, aside = [], 0, []
    for ch in text:
        if ch in "（(":
            depth += 1
        if depth:
            aside.append(ch)
            if ch in "）)":
                depth -= 1
                if depth == 0:
                    inner = "".join(aside)
                    if not (len(inner) > 40 or BOILERPLATE.search(inner)):
                        out.append(inner)
                    aside = []
            continue
        out.append(ch)
    text = "".join(out) + "".join(aside)
    for name, short in LAWS:
        text = text.replace(name, short)
    return re.sub(r"^(?:ただし|また|なお|さらに)、", "", text).strip()


def leading_condition(text: str) -> str:
    """The condition a duty opens with (「…委託する場合には、」), else ""."""
    found = CONDITION_END.search(masked(text))
    return text[: found.end()] if found else ""


def plain(text: str) -> str:
    """A duty in plain form without the closing 。: 報告しなければならない → 報告する."""
    text = text.rstrip("。 ")
    for ending, replacement in ENDINGS:
        if text.endswith(ending):
            return text[: -len(ending)] + replacement
    negative = _NEGATIVE_STEM.search(text)
    if negative:
        stem = negative.group(1)
        return text[: negative.start()] + _A_TO_U.get(stem, stem + "る")
    if text.endswith("講じ"):  # 「…措置を講じ、」 cut at a comma
        return text + "る"
    return text


def post_before(text: str) -> str | None:
    """The post that ``text`` ends with (「当該情報を管理する保護管理者」 → 「保護管理者」), else None."""
    run = NOUN_RUN.search(text)
    if not run:
        return None
    post = run.group(0).lstrip("・")
    if len(post) == 1 and text[: run.start()].endswith("の"):  # 当該部の長
        head = NOUN_RUN.search(text[: run.start() - 1])
        post = f"{head.group(0)}の{post}" if head else post
    if not POST_END.search(post) or NOT_POSTS.search(post):
        return None
    return post


def posts_before(text: str) -> tuple[list[str], int]:
    """The posts a phrase ends with, joined by 及び/並びに/又は/、 (「統括保護責任者及び保護責任者並びに統括情報システム
    管理者」), and where the first begins in ``text``."""
    found: list[str] = []
    end = len(text)
    start = end
    while True:
        post = post_before(text[:end])
        if post is None:
            break
        found.insert(0, post)
        start = end - len(post)
        joiner = JOINER.search(text[:start])
        if not joiner:
            break
        end = joiner.start()
    return found, start


_TOPIC = re.compile(r"(?:は|が)、|は(?=[^、])")


def topic(sentence: str, before: int | None = None) -> tuple[list[str], int, int] | None:
    """The last 「Xは、」 before offset ``before`` whose X ends with posts: (posts, start of X, end of 「は、」)."""
    view = masked(sentence)[:before]
    return _first_posts(view, reversed(list(_TOPIC.finditer(view))))


def _first_posts(view: str, marks: Iterable[re.Match[str]]) -> tuple[list[str], int, int] | None:
    """(posts, start, end of the mark) for the first of ``marks`` that posts stand right before, else None."""
    for found in marks:
        posts, start = posts_before(view[: found.start()])
        if posts:
            return posts, start, found.end()
    return None


_AGENT = re.compile(r"が(?=[^、])")


def agent(sentence: str) -> tuple[list[str], int, int] | None:
    """The posts that do what a sentence without a post for topic says (「…委員会への報告は、情報安全監が統括者の
    承認を得て行う」 → 情報安全監): (posts, start, end of 「が」), as ``topic`` gives them."""
    view = masked(sentence)
    return _first_posts(view, _AGENT.finditer(view))


def role_of(sentence: str, posts: list[str], start: int, end: int) -> str:
    """How the sentence names its actor: the whole noun phrase when it describes the person in a few words
    (「事案等を認識した職員」), else the posts (「保護管理者・統括情報システム管理者」)."""
    if len(posts) > 1:
        return "・".join(posts)
    phrase_start = max(sentence.rfind("、", 0, start) + 1, 0)
    phrase = re.sub(r"^(?:ただし|また|なお|その|当該|この)+", "", sentence[phrase_start : end].rstrip("、はが"))
    return phrase if 0 < len(phrase) <= 24 else posts[0]


def reports(sentence: str, inherited: list[str] | None = None, context: str = "") -> list[Report]:
    """Every reporting duty in one sentence.

    ``inherited`` are the posts of the paragraph's topic, for an item that has none of its own; ``context``
    is a condition carried down from the item's parents (「漏えいのおそれがあるときは、」).
    """
    out = []
    view = masked(sentence)
    for verb in REPORT_VERB.finditer(view):
        noun = verb.group("noun") or verb.group("todoke") or "提出"
        if verb.group(0).startswith(f"{noun}させ"):  # 「報告させる」: someone else reports
            continue
        # 「報告書を…Yに提出する」: the report is in writing; the recipient stands before 提出
        head = view[: verb.end("submit") - 2] if verb.group("submit") else view[: verb.start()]
        recipients, recipient_at = _recipients(head)
        if not recipients:
            continue
        subject = topic(sentence, recipient_at)
        if subject:
            actors, start, end = subject
            role = role_of(sentence, actors, start, end)
            pre = tidy(sentence[:start])
        elif inherited:
            actors, end, role, pre = inherited, 0, "・".join(inherited), ""
        else:
            continue
        if set(recipients) & set(actors):
            continue
        # 「…を講ずるとともに、Yに報告する」: the report, in the sentence's own verb
        own = parts(sentence[end : len(head)] + _plain_verb(noun, verb.group(0)))[-1]
        action = _short_condition(_without_received(own))
        # 「漏えいを知ったときは、Xは、…」; not 「この場合において、」, which only points back at the sentence before
        if pre and len(pre) <= 30 and _ends_with_condition(pre) and not BACK_REFERENCE.fullmatch(pre):
            action = pre + action
        action = plain(tidy(context + action))
        out.append(Report(tuple(actors), role, tuple(recipients), action, written=bool(verb.group("submit"))))
    out += received(sentence)
    return out


def _ends_with_condition(text: str) -> bool:
    """Whether ``text`` is a condition that ends where the actor begins (「…したときは、」), not an earlier duty
    of the same sentence (「補佐者は、…総括者に報告し、」 before 「総括者は、…」)."""
    found = list(CONDITION_END.finditer(masked(text)))
    return bool(found) and found[-1].end() == len(text)


def _plain_verb(noun: str, said: str = "") -> str:
    """The plain form of a report verb as the sentence ``said`` it: 報告する, 第一報を行う, 第一報を入れる, 届け出る."""
    if noun == "届け出":
        return "届け出る"
    if f"{noun}を入れ" in said:
        return f"{noun}を入れる"
    if noun == "第一報" or f"{noun}を行" in said:
        return f"{noun}を行う"
    return f"{noun}する"


def _recipients(head: str) -> tuple[list[str], int]:
    """The posts of 「Yに」 (or 「Yへ」, 「Yに対し、」) just before a report verb, and where 「に」 stands; an
    adverb may come between (「市長に速やかに報告する」), a new clause may not."""
    at = len(head)
    while True:
        at = max(head.rfind("に", 0, at), head.rfind("へ", 0, at))
        if at <= 0:
            return [], -1
        gap = re.sub(r"^対し(?:て)?、?", "", head[at + 1 :])
        if len(gap) > 20 or "、" in gap or "。" in gap:
            return [], -1
        # a post may carry an aside before 「に」: 「管理責任者（学校にあっては校長…）に報告する」
        found, _ = posts_before(ASIDE_END.sub("", head[:at]))
        if found:
            return found, at


def _short_condition(action: str) -> str:
    """A long condition before the duty is left out (the flow asks about the facts); a short one is kept."""
    view = masked(action)
    found = list(CONDITION_END.finditer(view))
    if found and found[-1].end() > 30:
        return action[found[-1].end() :]
    return action


def received(sentence: str) -> list[Report]:
    """「Xは、Yから…の報告を受けたときは」: Y reports to X (a contractor to the city, a clerk to a manager)."""
    view = masked(sentence)
    out = []
    for found in RECEIVED.finditer(view):
        head = view[: found.start()]
        origin = head.rfind("から")
        if origin < 0 or found.start() - origin > 40:
            continue
        senders, _ = posts_before(head[:origin])
        subject = topic(sentence, origin)
        if not senders or not subject:
            continue
        what = sentence[origin + 2 : found.start()].rstrip("の")
        recipients = subject[0]
        verb = _plain_verb(found.group(0)[: -len("を受け")])
        joined = "の" if "を" in verb else "を"  # 事故を報告する, 事故の第一報を行う
        action = f"{'・'.join(recipients)}に{what}{joined}{verb}" if what else f"{'・'.join(recipients)}に{verb}"
        out.append(Report(tuple(senders), "・".join(senders), tuple(recipients), tidy(action)))
    return out


def _without_received(action: str) -> str:
    """Drop a leading 「前項の報告を受けたときは、」: the chain already says who reported."""
    view = masked(action)
    found = [m for m in CONDITION_END.finditer(view) if RECEIVED.search(view[: m.start()])]
    return action[found[-1].end() :] if found else action


def subject_of(text: str) -> list[str]:
    """The posts a paragraph's lead sentence is about (「利用者は、パスワードを次のとおり…」 → [利用者])."""
    for sentence in sentences(text):
        found = topic(sentence.text)
        if found:
            return found[0]
    return []


def conditions_of(text: str) -> str:
    """A short condition a list lead sets for its items (「漏えいのおそれがあるときは、」), else ""."""
    view = masked(text)
    found = list(CONDITION_END.finditer(view))
    if not found:
        return ""
    condition = text[: found[-1].end()]
    subject = topic(condition)
    if subject:
        condition = condition[subject[2] :]
    return condition if len(condition) <= 30 else ""


def parts(sentence: str) -> list[str]:
    """A compound duty cut at 「とともに」: 「…に報告するとともに、…拡大を阻止する」 → two duties."""
    parts, start = [], 0
    view = masked(sentence)
    for found in re.finditer(r"(?<=[ぁ-ん])とともに、?", view):  # after a verb: not 「委託者とともに」
        parts.append(sentence[start : found.start()])
        start = found.end()
    parts.append(sentence[start:])
    return [p for p in parts if p.strip()]


def duty(sentence: str, pattern: re.Pattern[str], actor: list[str] | None = None,
         whole: bool = False) -> tuple[list[str], str] | None:
    """Who must do the part of a compound duty that matches ``pattern``, and that part in plain form:
    「保護管理者は、…報告するとともに事故、事件等の拡大を阻止するように講ずるものとする」 →
    (["保護管理者"], 「事故、事件等の拡大を阻止するように講ずる」).
    ``actor`` stands in when the sentence has no topic; ``whole`` keeps a long condition the duty opens with."""
    subject = topic(sentence)
    by = agent(sentence) if subject is None else None
    if by and pattern.search(sentence[: by[1]]):  # 「…委員会への報告は、情報安全監が…行う」: the whole sentence
        return by[0], plain(tidy(sentence))
    body = sentence[subject[2] :] if subject else sentence
    names = subject[0] if subject else (actor or [])
    for part in parts(body):
        if pattern.search(part):
            part = _without_received(part.strip("、"))
            return names, plain(tidy(part if whole else _short_condition(part)))
    return None


def question(verb: str) -> str:
    """「明記する」 → 「明記しましたか」, 「定める」 → 「定めましたか」, 「講ずる」 → 「講じましたか」."""
    if verb.endswith("する"):
        return verb[:-2] + "しましたか"
    if verb.endswith("ずる"):
        return verb[:-2] + "じましたか"
    if re.search(r"[えけげせぜてでねべめれ]る$", verb):
        return verb[:-1] + "ましたか"
    return ""


@dataclass(frozen=True)
class Clause:
    """A paragraph, item or sub-item with what it inherits from the text around it."""

    unit: Unit
    heading: str  # its article's heading
    parents: str  # the texts of the paragraph and items above it
    subject: tuple[str, ...]  # the posts its paragraph's lead is about, for an item with no subject of its own
    condition: str  # a short condition an item above it sets (「漏えいのおそれがあるときは、」)
    items: tuple[Unit, ...]  # its own items (a list lead's 「次に掲げる事項」)

    @property
    def key(self) -> str:
        return self.unit.key

    @property
    def text(self) -> str:
        return self.unit.text


def clauses_of(reg: Regulation) -> list[Clause]:
    """Every paragraph, item and sub-item of the regulation's articles, in document order."""
    out = []
    headings = {u.article: u.heading or "" for u in reg.articles()}
    by_key = {u.key: u for u in reg.units}
    for unit in reg.units:
        if unit.kind not in ("paragraph", "item", "subitem") or unit.article is None:
            continue
        chain = []
        key = unit.key
        while key.count(":") > 2:
            key = key.rsplit(":", 1)[0]
            if key in by_key:
                chain.insert(0, by_key[key])
        subject = tuple(subject_of(chain[0].text)) if chain else ()
        condition = "".join(conditions_of(u.text) for u in chain[1:])
        items = tuple(u for u in reg.children(unit) if u.kind in ("item", "subitem"))
        out.append(Clause(unit, headings.get(unit.article, ""), "\n".join(u.text for u in chain), subject,
                          condition, items))
    return out
