"""Draft a regulation's front matter from its text: title, municipality, instrument, number and dates.

What a 例規集 page says before the first article is read for the title (the ○ line, or the first line
ending in 規程/規則/基準/要綱/要領/条例/訓令/告示), the number (訓令第5号) and the enactment date (the
era date on or before the number line). Amendment dates come from lines such as 「令和5年4月1日一部改正」
before the body, from 附則 headings 「附則（令和4年3月31日訓令第2号）」, from a trailing 沿革情報 and from
amendment notes 「(令2訓令9・一部改正)」 (era year and number only, when no dated 附則 names them).
The draft is shown to the person adding the file before anything is written.
"""

from __future__ import annotations

import re
import unicodedata

import yaml

from corpus.model import Regulation
from corpus.numbers import fold, to_int
from corpus.patterns import NUM

INSTRUMENTS = ("条例", "規則", "規程", "規定", "訓令", "告示", "要綱", "要領", "基準", "方針", "指針", "細則", "要項")
ROMAJI = {
    "条例": "jorei", "規則": "kisoku", "規程": "kitei", "規定": "kitei", "訓令": "kunrei", "告示": "kokuji",
    "要綱": "yoko", "要領": "yoryo", "基準": "kijun", "方針": "hoshin", "指針": "shishin", "細則": "saisoku",
    "要項": "yoko",
}
_KIND = "|".join(INSTRUMENTS)
_TITLE_END = re.compile(rf"({_KIND})$")
_TRAILING_BRACKETS = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
_NUMBER = re.compile(rf"(訓令|規則|告示|条例|規程|要綱|要領|公告|達)\s*第\s*({NUM})\s*号")
_ERAS = {"明治": 1, "大正": 2, "昭和": 3, "平成": 4, "令和": 5, "明": 1, "大": 2, "昭": 3, "平": 4, "令": 5}
_ERA_FULL = {"明": "明治", "大": "大正", "昭": "昭和", "平": "平成", "令": "令和"}
_DATE = re.compile(rf"(明治|大正|昭和|平成|令和)\s*({NUM}|元)\s*年\s*({NUM})\s*月\s*({NUM})\s*日")
_AMENDED = re.compile(r"改正|追加|全改|削除")
# (令2訓令9・一部改正), (令六規則二・一部改正): an era initial, a year, the kind and number of the amending act.
_NOTE = re.compile(rf"^[(（]\s*(明|大|昭|平|令)\s*({NUM}|元)\s*({'|'.join(('訓令', '規則', '告示', '条例', '規程'))})?"
                   rf"\s*({NUM})?[^()（）]*(?:改正|追加|全改|削除)[^()（）]*[)）]$")
_UNION = re.compile(r"^(\S{2,20}?(?:組合|広域連合))")  # 西川地区広域行政事務組合, 福島県後期高齢者医療広域連合
_PREFECTURE = re.compile(r"^(東京都|北海道|京都府|大阪府|[^\s市町村区]{2,3}?県)")


def draft_front_matter(reg: Regulation) -> dict:
    """Front matter fields read from a parsed regulation; fields it cannot find are left out."""
    head = [line for line in reg.preamble if line.strip()]
    meta: dict = {}
    title = find_title(head)
    if title:
        meta["title"] = title
    prefecture, city = municipality_of(title or "")
    if not city and not prefecture:
        city = municipality_in(head)
    if city or prefecture:
        meta["municipality"] = city or prefecture
    if city and prefecture:
        meta["prefecture"] = prefecture
    number = find_number(head)
    act = _NUMBER.search(number).group(1) if number else ""  # 訓令 of 教育委員会訓令第2号
    kind = _TITLE_END.search(title or "")
    if kind and number and act != kind.group(1) and act in {"訓令", "告示"}:
        meta["instrument"] = f"{kind.group(1)}（{number.split('第')[0]}）"  # as the seeds write it: 規程（訓令）
    elif kind or number:
        meta["instrument"] = kind.group(1) if kind else act
    if number:
        meta["number"] = number
    enacted = enacted_date(head) or next(iter(_history(reg)), None)
    if enacted:
        meta["enacted"] = enacted
    amended = amendments(reg, head, enacted)
    if amended:
        meta["amended"] = amended
    return meta


def find_title(head: list[str]) -> str | None:
    for line in head:
        if line[:1] in "○◯〇" and len(line) > 2:
            return line[1:].strip()
    for line in head:
        bare = _TRAILING_BRACKETS.sub("", line.strip())
        if len(bare) >= 4 and "。" not in bare and _TITLE_END.search(bare) and not _NUMBER.search(bare):
            return bare
    return None


def municipality_of(title: str) -> tuple[str | None, str | None]:
    """(prefecture, city) at the start of a title: 福島県郡山市… → (福島県, 郡山市); 美馬市… → (None, 美馬市); a
    一部事務組合 or 広域連合 is the body itself: 桜川流域消防組合… → (None, 桜川流域消防組合)."""
    union = _UNION.match(title)
    if union:
        return None, union.group(1)
    prefecture = _PREFECTURE.match(title)
    start = prefecture.end() if prefecture else 0
    ends = [end for end in range(start + 2, min(len(title), start + 7) + 1) if title[end - 1] in "市町村区"]
    if not ends:
        return (prefecture.group(1) if prefecture else None), None
    end = ends[0]
    # 東村山市, 大町市: a 町/村 inside a city's name, when a 市 follows within five characters.
    later = [e for e in ends[1:] if title[e - 1] == "市" and e - start <= 5]
    if title[end - 1] != "市" and later:
        end = later[0]
    return (prefecture.group(1) if prefecture else None), title[start:end]


def municipality_in(head: list[str]) -> str | None:
    """The city named on the enactment line: 「/美馬市/美馬市議会/…/訓令第1号」 or 「平成27年美馬市訓令第1号」."""
    for line in head:
        if line.startswith("/"):
            first = line.strip("/").split("/")[0]
            if re.fullmatch(r"\S{1,8}[都道府県市町村区]", first):
                return first
        match = re.search(rf"(?:年|^)(\S{{1,7}}?[市町村区])(?:{_KIND})第", fold(line))
        if match:
            return match.group(1)
    return None


# organs other than the mayor that issue their own acts: 「教育委員会訓令第2号」, 「議会規程第1号」
_ISSUER = re.compile(r"(教育委員会|選挙管理委員会|農業委員会|公平委員会|監査委員|議会)$")


def find_number(head: list[str]) -> str | None:
    """The act's number, with the organ that issued it when not the mayor (教育委員会訓令第2号)."""
    for line in head:
        folded = fold(line)
        match = _NUMBER.search(folded)
        if match:
            issuer = _ISSUER.search(folded[: match.start()])
            return f"{issuer.group(1) if issuer else ''}{match.group(1)}第{to_int(match.group(2))}号"
    return None


def written_date(match: re.Match[str]) -> str:
    era, year, month, day = match.groups()
    year = "元" if year == "元" else str(to_int(year))
    return f"{era}{year}年{to_int(month)}月{to_int(day)}日"


def enacted_date(head: list[str]) -> str | None:
    """The first era date before the body that is not an amendment's (「令和5年4月1日一部改正」)."""
    for line in head:
        folded = fold(line)
        match = _DATE.search(folded)
        if match and not _AMENDED.search(folded[match.end() :]):
            return written_date(match)
    return None


def _history(reg: Regulation) -> list[str]:
    """Dates of a trailing 沿革情報 block, oldest first (the first is the enactment)."""
    dates, inside = [], False
    for line in reg.trailer:
        if line.strip() == "沿革情報":
            inside = True
            continue
        match = _DATE.match(fold(line).strip()) if inside else None
        if match:
            dates.append(written_date(match))
    return dates


def amendments(reg: Regulation, head: list[str], enacted: str | None) -> list[str]:
    found: list[str] = []
    for line in head:
        folded = fold(line)
        match = _DATE.search(folded)
        if match and _AMENDED.search(folded[match.end() :]):
            found.append(written_date(match))
    numbered: set[tuple[str, str]] = set()  # (era year, 訓令第2号) of the dated amendments
    for unit in reg.units:
        if unit.kind != "suppl" or not unit.heading:
            continue
        folded = fold(unit.heading)
        match = _DATE.search(folded)
        if match:
            found.append(written_date(match))
            number = _NUMBER.search(folded)
            if number:
                numbered.add((written_date(match).split("年")[0], f"{number.group(1)}第{to_int(number.group(2))}号"))
    found.extend(_history(reg)[1:])
    for unit in reg.units:
        for note in unit.notes:
            match = _NOTE.match(fold(note).strip())
            if not match:
                continue
            era_year = _ERA_FULL[match.group(1)] + ("元" if match.group(2) == "元" else str(to_int(match.group(2))))
            kind, number = match.group(3), match.group(4)
            act = f"{kind}第{to_int(number)}号" if kind and number else ""
            known = (era_year, act) in numbered or any(d.startswith(f"{era_year}年") and "月" in d for d in found)
            if not known:
                found.append(f"{era_year}年{act}")
    unique = [d for d in dict.fromkeys(found) if d != enacted]
    return sorted(unique, key=_date_key)


def _date_key(text: str) -> tuple[int, ...]:
    match = re.match(r"(明治|大正|昭和|平成|令和)(元|\d+)年(?:(\d+)月(\d+)日)?", text)
    if not match:
        return (9, 0, 0, 0)
    era, year, month, day = match.groups()
    return (_ERAS[era], 1 if year == "元" else int(year), int(month or 0), int(day or 0))


_ERA_START = {1: 1868, 2: 1912, 3: 1926, 4: 1989, 5: 2019}  # the Gregorian year of each era's 元年


def iso_date(value: object) -> str | None:
    """A date as YYYY-MM-DD: 令和4年3月31日 → 2022-03-31; an ISO date (text or YAML date) as it is; None for
    anything else, such as 令和3年告示第12号 (an amendment known by its year only)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = fold(str(value or "")).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    match = _DATE.fullmatch(text)
    if not match:
        return None
    era, year, month, day = _date_key(written_date(match))
    return f"{_ERA_START[era] + year - 1:04d}-{month:02d}-{day:02d}"


def effective_date(meta: dict) -> str | None:
    """When a version of a regulation came into force, as YYYY-MM-DD: the front matter's ``effective``,
    else its latest dated amendment (改正), else its enactment (制定)."""
    if meta.get("effective"):
        return iso_date(meta["effective"])
    amended = meta.get("amended") or []
    dates = [d for d in (iso_date(a) for a in (amended if isinstance(amended, list) else [amended])) if d]
    return max(dates) if dates else iso_date(meta.get("enacted"))


def derived_id(title: str, instrument: str | None) -> str | None:
    """An id from the ASCII letters of a title (ICT利用規程 → ict-kitei); None when it has none."""
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", title).lower())
    if not any(re.search(r"[a-z]", w) for w in words):
        return None
    suffix = ROMAJI.get((instrument or "")[:2])
    return "-".join([*words, suffix] if suffix and suffix not in words else words)


def suggested_id(stem: str, instrument: str | None) -> str:
    """An example id for the error that asks for --id: the file's ASCII name and the kind of rule."""
    base = "-".join(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", stem).lower()))
    base = base if re.search(r"[a-z]", base) else "city"
    suffix = ROMAJI.get((instrument or "")[:2], "kitei")
    return base if base.endswith(suffix) else f"{base}-{suffix}"


def to_yaml(meta: dict) -> str:
    """The front matter block as written at the top of a corpus file, '---' lines included."""
    body = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
    return f"---\n{body}---\n"
