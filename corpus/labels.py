"""Human labels in Japanese citation style: 郡山市保有個人情報等の取扱基準 第22条第1項第2号."""

from __future__ import annotations

from corpus.model import Regulation, Unit


def article_label(unit: Unit) -> str:
    number, *branches = (unit.article or "").split("_")
    suffix = "".join(f"の{b}" for b in branches)
    return f"第{number}{suffix}" if unit.style == "youryou" else f"第{number}条{suffix}"


def clause_label(reg: Regulation, unit: Unit) -> str:
    """The label without the document title, e.g. 第23条第1項 or 附則（令和3年4月1日）."""
    if unit.kind == "suppl":
        suppls = [u for u in reg.units if u.kind == "suppl"]
        return "附則" + (
            f"（{unit.heading}）" if unit.heading else (f"（第{unit.number}）" if len(suppls) > 1 else "")
        )
    if unit.kind == "form":
        return f"様式第{unit.number}号"
    text = article_label(unit)
    if unit.paragraph is not None and reg.paragraph_count(unit.article) > 1:
        text += f"第{unit.paragraph}項"
    if unit.item is not None:
        text += f"第{unit.item}号"
    if unit.subitem is not None:
        text += unit.subitem if unit.marker else f"（細目{unit.subitem}）"
    return text


def label(reg: Regulation, unit: Unit) -> str:
    return f"{reg.title} {clause_label(reg, unit)}"


def headed(text: str, heading: str | None) -> str:
    """A label followed by its heading in brackets, when there is one: 第23条第1項（事案の報告及び再発防止措置）."""
    return f"{text}（{heading}）" if heading else text
