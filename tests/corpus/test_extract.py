"""Regulation text out of the files 例規集 systems publish: HTML pages, text PDFs, .docx; front matter drafts.

Every file is made here from text written in this test (no downloads, no copied pages): one fictional
regulation laid out as a web page (three layouts), a multi-page PDF and a Word document, and another one
in a PDF set in two columns.
"""

from __future__ import annotations

import html as html_lib

import pytest

from corpus.errors import NotARegulationError, ScannedPdfError, UnreadableFileError, UnsupportedFileError
from corpus.extract import extract_text
from corpus.folder import write_regulation
from corpus.frontmatter import derived_id, draft_front_matter, municipality_of, suggested_id
from corpus.loader import parse_file
from corpus.parser import parse_text

TITLE = "○サンプル市個人情報取扱規程"
ENACTED = "令和2年3月31日訓令第5号"
TOC = ["目次", "第1章 総則（第1条・第2条）", "第2章 安全管理（第3条―第5条）", "附則"]
BODY = [
    "第1章 総則",
    "（趣旨）",
    "第1条 この規程は、サンプル市における個人情報の適正な取扱いに関し必要な事項を定めるものとする。",
    "（定義）",
    "第2条 この規程において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。",
    "(1) 個人情報 個人情報の保護に関する法律（平成15年法律第57号）第2条第1項に規定する個人情報をいう。",
    "(2) 職員 市の職員をいう。",
    "第2章 安全管理",
    "（保護管理者）",
    "第3条 課長は、保護管理者として、その課における個人情報の管理に関する事務を総括する。",
    "2 保護管理者は、個人情報の取扱状況を定期に点検しなければならない。",
    "（漏えい等の報告）",
    "第4条 職員は、個人情報の漏えい、滅失又は毀損の事案が発生したときは、直ちに保護管理者に報告しなければならない。",
    "2 保護管理者は、前項の報告を受けたときは、次に掲げる措置を講じなければならない。",
    "(1) 被害の拡大を防止するための措置",
    "(2) 事実関係の調査及び原因の究明",
    "(3) 再発防止のための措置",
    "（委託）",
    "第5条 個人情報の取扱いを委託するときは、様式第1号による確認書を受託者から提出させなければならない。",
]
SUPPL = [
    "附則",
    "この規程は、令和2年4月1日から施行する。",
    "附則（令和4年3月31日訓令第2号）",
    "この規程は、令和4年4月1日から施行する。",
    "様式第1号（第5条関係）",
]
FORM_ROWS = [["項目", "記入欄"], ["受託者の名称", "（記入）"], ["管理責任者の氏名", "（記入）"]]

KEYS = [
    "s:1", "s:1:1", "s:2", "s:2:1", "s:2:1:1", "s:2:1:2", "s:3", "s:3:1", "s:3:2",
    "s:4", "s:4:1", "s:4:2", "s:4:2:1", "s:4:2:2", "s:4:2:3", "s:5", "s:5:1", "s:suppl-1", "s:suppl-2", "s:form-1",
]
FURNITURE = ["例規集トップ", "サンプル市情報公開条例", "文書管理規程", "現在位置", "Copyright", "ページの先頭へ",
             "サイト内検索", "第3編 行政一般", "印刷する"]


def keys_of(text):
    return [u.key for u in parse_text(text, doc_id="s").units]


def esc(text):
    return html_lib.escape(text, quote=False)


def body_html(lines):
    """The regulation as a 例規集 page marks it up: headings, spans for numbers, items as divs."""
    out = []
    for line in lines:
        if line.startswith("第") and "条 " in line[:6]:
            number, rest = line.split(" ", 1)
            out.append(f'<p class="article"><span class="num">{esc(number)}</span>　{esc(rest)}</p>')
        elif line.startswith("("):
            number, rest = line.split(" ", 1)
            out.append(f'<div class="item"><span>{esc(number)}</span> <span>{esc(rest)}</span></div>')
        else:
            out.append(f"<p>{esc(line)}</p>")
    return "\n".join(out)


def form_table():
    rows = "".join("<tr>" + "".join(f"<td><p>{esc(c)}</p></td>" for c in row) + "</tr>" for row in FORM_ROWS)
    return f'<table border="1">{rows}</table>'


def toc_html():
    links = "".join(f'<li><a href="#c{i}">{esc(line)}</a></li>' for i, line in enumerate(TOC[1:]))
    return f"<p>目次</p><ul>{links}</ul>"


SIDEBAR = (
    '<div class="col-left"><h2>関連例規</h2><ul>'
    '<li><a href="/reiki/1.html">例規集トップ</a></li>'
    '<li><a href="/reiki/2.html">サンプル市情報公開条例</a></li>'
    '<li><a href="/reiki/3.html">サンプル市文書管理規程</a></li>'
    '<li><a href="/reiki/4.html">サンプル市情報セキュリティ基本方針</a></li>'
    "</ul></div>"
)


def page_two_columns():
    """A navigation column of links beside the body (no nav element, no telling class name)."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>サンプル市例規集</title>"
        "<style>.col-left{float:left}</style><script>var x = '第9条 スクリプト';</script></head><body>"
        f'<div id="wrap">{SIDEBAR}<div class="col-main">'
        f'<div class="title">{esc(TITLE)}</div><div class="date">{ENACTED}</div>{toc_html()}'
        f"{body_html(BODY)}{body_html(SUPPL)}{form_table()}</div></div></body></html>"
    )


def page_with_header_footer():
    """Site header, breadcrumbs, a 「ページの先頭へ」 link between articles and a footer; Shift_JIS."""
    body = body_html(BODY).replace("<p>（保護管理者）</p>", '<p><a href="#top">ページの先頭へ</a></p><p>（保護管理者）</p>')
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"></head><body>'
        '<header><div class="logo">サンプル市例規集</div><form><input name="q"><button>サイト内検索</button></form>'
        "</header>"
        '<div class="breadcrumb">現在位置: <a href="/">例規集トップ</a> &gt; <a href="/3">第3編 行政一般</a></div>'
        f'<div id="print-menu"><a href="javascript:print()">印刷する</a></div>'
        f"<main><article><header><h1>{esc(TITLE)}</h1></header>"
        f"<p>令和2年3月31日<br>訓令第5号</p>{toc_html()}{body}{body_html(SUPPL)}{form_table()}</article></main>"
        "<footer><p>Copyright サンプル市 All rights reserved.</p></footer></body></html>"
    )


def page_with_layout_table():
    """An older page laid out with a table: links in the left cell, the body in the right one."""
    links = "".join(f'<a href="/r/{i}">{name}</a><br>' for i, name in
                    enumerate(["例規集トップ", "サンプル市情報公開条例", "サンプル市文書管理規程"]))
    return (
        "<html><body><table><tr>"
        f'<td width="20%">{links}</td>'
        f"<td><p>{esc(TITLE)}</p><p>{ENACTED}</p>{toc_html()}{body_html(BODY)}{body_html(SUPPL)}{form_table()}</td>"
        "</tr></table></body></html>"
    )


def split_marker(line):
    """(marker, text) of a numbered line, else (None, line)."""
    first, _, rest = line.partition(" ")
    numbered = rest and ((first.startswith("第") and first.endswith("条")) or first.isdigit() or first.startswith("("))
    return (first, rest) if numbered else (None, line)


def body_in_spans(lines):
    """Numbers in spans of their own with no space before the text (the page's CSS sets them apart), and a
    reference inside the text linked to its article, as many 例規集 systems mark them up."""
    out = []
    for line in lines:
        marker, text = split_marker(line)
        text = esc(text).replace("第2条第1項", '<a href="#j2">第2条</a>第1項')
        if marker is None:
            out.append(f"<p>{text}</p>")
        else:
            out.append(f'<p><span class="num">{esc(marker)}</span><span class="text">{text}</span></p>')
    return "\n".join(out)


def body_in_blocks(lines):
    """Each number in a block of its own beside a block with its text (a grid of divs)."""
    out = []
    for line in lines:
        marker, text = split_marker(line)
        if marker is None:
            out.append(f'<div class="line">{esc(text)}</div>')
        else:
            out.append(f'<div class="row"><div class="num">{esc(marker)}</div><div class="text">{esc(text)}</div></div>')
    return "\n".join(out)


def page_with_number_spans():
    return (f"<html><body><div class='main'><p>{esc(TITLE)}</p><p>{ENACTED}</p>{toc_html()}"
            f"{body_in_spans(BODY)}{body_in_spans(SUPPL)}{form_table()}</div></body></html>")


def page_with_number_blocks():
    return (f"<html><body><div class='main'><p>{esc(TITLE)}</p><p>{ENACTED}</p>{toc_html()}"
            f"{body_in_blocks(BODY)}{body_in_blocks(SUPPL)}{form_table()}</div></body></html>")


PAGES = {"two-columns": page_two_columns, "header-footer": page_with_header_footer,
         "layout-table": page_with_layout_table, "number-spans": page_with_number_spans,
         "number-blocks": page_with_number_blocks}


def write_page(tmp_path, layout, name="reiki.html"):
    path = tmp_path / name
    encoding = "cp932" if layout == "header-footer" else "utf-8"
    path.write_bytes(PAGES[layout]().encode(encoding))
    return path


@pytest.mark.parametrize("layout", PAGES)
def test_html_pages_read_as_the_regulation_without_the_page_around_it(tmp_path, layout):
    text = extract_text(write_page(tmp_path, layout))
    assert keys_of(text) == KEYS
    for furniture in FURNITURE:
        assert furniture not in text, furniture
    assert "スクリプト" not in text and "col-left" not in text
    lines = text.splitlines()
    assert lines[0] == TITLE
    article = "職員は、個人情報の漏えい、滅失又は毀損の事案が発生したときは、直ちに保護管理者に報告しなければならない。"
    assert f"第4条　{article}" in lines or f"第4条 {article}" in lines  # as the page spaces it, or one space
    assert "(2) 事実関係の調査及び原因の究明" in lines
    assert "受託者の名称 （記入）" in lines  # a table row is one line, its cells joined by a space
    assert "第1章 総則（第1条・第2条）" in lines  # the 目次's links are the regulation's own


def test_a_reference_linked_inside_a_sentence_keeps_its_text(tmp_path):
    text = extract_text(write_page(tmp_path, "number-spans"))
    assert "第1条 この規程は、サンプル市における個人情報の適正な取扱いに関し必要な事項を定めるものとする。" in text
    assert "(1) 個人情報 個人情報の保護に関する法律（平成15年法律第57号）第2条第1項に規定する個人情報をいう。" in text
    assert "2 保護管理者は、前項の報告を受けたときは、次に掲げる措置を講じなければならない。" in text


def test_a_form_table_becomes_the_form_units_lines(tmp_path):
    reg = parse_text(extract_text(write_page(tmp_path, "two-columns")), doc_id="s")
    form = reg.get("s:form-1")
    assert form.text.splitlines() == ["（第5条関係）", "項目 記入欄", "受託者の名称 （記入）", "管理責任者の氏名 （記入）"]


def test_a_page_saved_under_another_suffix_is_still_read_as_html(tmp_path):
    path = tmp_path / "reiki.txt"
    path.write_text(page_two_columns(), encoding="utf-8")
    text = extract_text(path)
    assert keys_of(text) == KEYS and "<p>" not in text and "例規集トップ" not in text


# -- PDF ------------------------------------------------------------------------------------------------

def wrapped(lines, width=34):
    """Lines as a PDF sets them: long ones wrapped at the page's width (the parser joins them again)."""
    out = []
    for line in lines:
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return out


def pdf_pages(path, pages, draw):
    """A4 pages under a running header (with 「n/N」) and over a page number, each drawn by draw(c, page, y),
    y being the height its first line is set at."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for number, page in enumerate(pages, 1):
        c.setFont("HeiseiMin-W3", 8)
        c.drawString(50, height - 30, "サンプル市例規集　第3編　行政一般")
        c.drawRightString(width - 50, height - 30, f"{number}/{len(pages)}")
        c.setFont("HeiseiMin-W3", 10.5)
        draw(c, page, height - 70)
        c.setFont("HeiseiMin-W3", 9)
        c.drawCentredString(width / 2, 30, f"- {number} -")
        c.showPage()
    c.save()
    return path


def make_pdf(path, pages):
    def draw(c, lines, y):
        for line in lines:
            c.drawString(60, y, line)
            y -= 18

    return pdf_pages(path, pages, draw)


PDF_LINES = wrapped([TITLE, ENACTED, *TOC, *BODY, *SUPPL]) + [" ".join(row) for row in FORM_ROWS]


def test_a_text_pdf_reads_in_order_without_running_headers_and_page_numbers(tmp_path):
    pages = [PDF_LINES[i : i + 14] for i in range(0, len(PDF_LINES), 14)]
    assert len(pages) >= 3
    text = extract_text(make_pdf(tmp_path / "reiki.pdf", pages))
    assert keys_of(text) == KEYS
    assert "例規集" not in text and "行政一般" not in text
    lines = text.splitlines()
    assert not any(line.strip("- ").isdigit() or "/" in line for line in lines)
    assert lines[:2] == [TITLE, ENACTED]
    reg = parse_text(text, doc_id="s")
    assert reg.get("s:4:1").text == BODY[12].split(" ", 1)[1]  # wrapped lines joined again
    assert pages[0][-1].endswith("第57号")  # item (1) of article 2 runs on to page 2 ...
    assert reg.get("s:2:1:1").text == BODY[5].split(" ", 1)[1]  # ... and is whole again


def test_a_pdf_without_a_text_layer_is_a_scan(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        c.setFillGray(0.4)
        c.rect(50, 50, 400, 700, fill=1)
        c.showPage()
    c.save()
    with pytest.raises(ScannedPdfError) as error:
        extract_text(path)
    assert error.value.message.startswith("scanned PDF without text: scan.pdf")


def test_a_damaged_pdf_is_unreadable(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>>\ngarbage")
    with pytest.raises(UnreadableFileError, match=r"broken\.pdf: not a readable PDF"):
        extract_text(path)


# -- PDF set in two columns (as some 例規集 and 公報 print) -------------------------------------------------

COLUMN = 22  # characters a column line holds: two columns of 231 pt at 10.5 pt, 24 pt apart
LEFT_X, RIGHT_X = 50, 305
KOHO_TITLE = "○サンプル市公文書管理規則"
KOHO_ENACTED = "令和3年3月31日規則第8号"
KOHO_LEFT = [
    "（趣旨）",
    "第1条 この規則は、サンプル市における公文書の管理に関し必要な事項を定めるものとする。",
    "（定義）",
    "第2条 この規則において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。",
    "(1) 公文書 職員が職務上作成し、又は取得した文書をいう。",
    "(2) 課 サンプル市組織規則に定める課をいう。",
    "（文書管理者）",
    "第3条 課長は、文書管理者として、その課における公文書の管理に関する事務を総括する。",
    "2 文書管理者は、公文書の管理の状況を毎年度点検しなければならない。",
]
KOHO_RIGHT = [
    "（分類）",
    "第4条 公文書は、分類基準表に従い、ファイルに分類して保存しなければならない。",
    "（保存期間）",
    "第5条 公文書の保存期間は、次の各号に掲げる区分に応じ、当該各号に定める期間とする。",
    "(1) 条例及び規則の原本 永年",
    "(2) 予算及び決算に関する文書 10年",
    "(3) 軽易な照会に関する文書 1年",
    "（廃棄）",
    "第6条 文書管理者は、保存期間が満了した公文書を廃棄するときは、その目録を作成しなければならない。",
    "2 前項の目録は、5年間保存しなければならない。",
]
KOHO_PAGE2 = [
    "（持出しの禁止）",
    "第7条 職員は、公文書を庁外に持ち出してはならない。ただし、文書管理者の許可を受けたときは、この限りでない。",
    "（事故の報告）",
    "第8条 職員は、公文書の紛失、盗難又は漏えいの事案が発生したときは、直ちに文書管理者に報告しなければならない。",
    "2 文書管理者は、前項の報告を受けたときは、被害の拡大を防止する措置を講じ、その経過及び結果を市長に報告しなければならない。",
    "（委任）",
    "第9条 この規則に定めるもののほか、公文書の管理に関し必要な事項は、市長が別に定める。",
]
KOHO_BELOW = ["附則", "この規則は、令和3年4月1日から施行する。"]
KOHO_KEYS = [
    "s:1", "s:1:1", "s:2", "s:2:1", "s:2:1:1", "s:2:1:2", "s:3", "s:3:1", "s:3:2",
    "s:4", "s:4:1", "s:5", "s:5:1", "s:5:1:1", "s:5:1:2", "s:5:1:3", "s:6", "s:6:1", "s:6:2",
    "s:7", "s:7:1", "s:8", "s:8:1", "s:8:2", "s:9", "s:9:1", "s:suppl-1",
]


def make_column_pdf(path, pages, above=(), below=(), ruled=False):
    """Pages set in two columns, each a (left lines, right lines) pair drawn side by side from the same
    height; `above` (page 1) and `below` (the last page) are lines centred across both columns; `ruled`
    draws a rule across both columns above and below every row, as a table does."""
    centre, right_end = (LEFT_X + RIGHT_X + COLUMN * 10.5) / 2, RIGHT_X + COLUMN * 10.5
    pages = [(number, *page) for number, page in enumerate(pages, 1)]

    def draw(c, page, y):
        number, left, right = page
        for line in above if number == 1 else ():
            c.drawCentredString(centre, y, line)
            y -= 20
        for row in range(max(len(left), len(right))):
            for x, lines in ((LEFT_X, left), (RIGHT_X, right)):
                if row < len(lines):
                    c.drawString(x, y, lines[row])
            if ruled:
                c.line(LEFT_X - 5, y + 14, right_end + 5, y + 14)
                c.line(LEFT_X - 5, y - 4, right_end + 5, y - 4)
            y -= 18
        for line in below if number == len(pages) else ():
            c.drawCentredString(centre, y - 6, line)
            y -= 18

    return pdf_pages(path, pages, draw)


def koho_pages(right_rows=None):
    """The regulation in two columns over two pages: 第1–3条 left and 第4–6条 right on page 1; on page 2 the
    left column breaks inside 第8条第2項 (or keeps all but the last `right_rows` lines)."""
    page2 = wrapped(KOHO_PAGE2, COLUMN)
    turn = len(page2) - right_rows if right_rows else page2.index(wrapped([KOHO_PAGE2[4]], COLUMN)[0]) + 2
    return [(wrapped(KOHO_LEFT, COLUMN), wrapped(KOHO_RIGHT, COLUMN)), (page2[:turn], page2[turn:])]


def test_a_pdf_in_two_columns_reads_the_left_column_then_the_right_page_by_page(tmp_path):
    pages = koho_pages()
    path = make_column_pdf(tmp_path / "koho.pdf", pages, above=[KOHO_TITLE, KOHO_ENACTED], below=KOHO_BELOW)
    text = extract_text(path)
    assert text.splitlines() == [KOHO_TITLE, KOHO_ENACTED, *pages[0][0], *pages[0][1], *pages[1][0],
                                 *pages[1][1], *KOHO_BELOW]
    assert keys_of(text) == KOHO_KEYS
    reg = parse_text(text, doc_id="s")
    plain = parse_text("\n".join([KOHO_TITLE, KOHO_ENACTED, *KOHO_LEFT, *KOHO_RIGHT, *KOHO_PAGE2, *KOHO_BELOW]))
    assert [unit.text for unit in reg.units] == [unit.text for unit in plain.units]
    assert reg.get("s:5:1:2").text == "予算及び決算に関する文書 10年"
    assert pages[1][1][0] in reg.get("s:8:2").text  # 第8条第2項 runs from the foot of the left column ...
    assert reg.get("s:8:2").text == KOHO_PAGE2[4].split(" ", 1)[1]  # ... to the top of the right, whole


def test_a_page_whose_right_column_is_much_shorter_still_reads_column_by_column(tmp_path):
    pages = koho_pages(right_rows=3)
    assert len(pages[1][0]) >= 3 * len(pages[1][1])
    text = extract_text(make_column_pdf(tmp_path / "koho.pdf", pages, above=[KOHO_TITLE, KOHO_ENACTED]))
    assert text.splitlines() == [KOHO_TITLE, KOHO_ENACTED, *pages[0][0], *pages[0][1], *pages[1][0], *pages[1][1]]
    assert keys_of(text) == KOHO_KEYS[:-1]


RETENTION = [("条例及び規則の原本", "永年"), ("予算及び決算に関する文書", "10年"), ("契約に関する文書", "5年"),
             ("軽易な照会に関する文書", "1年"), ("庁内の連絡文書", "1年未満")]
CELLS = [(f"({n}) {kind}の保存期間は、別に定める分類基準表による。", f"{kind}は、満了する日を記録して保存する。")
         for n, kind in enumerate(["条例及び規則の原本", "予算及び決算に関する文書", "契約に関する文書"], 1)]
SIDE_BY_SIDE = {  # (left lines, right lines, ruled): a row's two halves belong together
    "a list of periods": ([f"({n}) {kind}" for n, (kind, _) in enumerate(RETENTION, 1)],
                          [period for _, period in RETENTION], False),
    "a ruled table": ([line for left, _ in CELLS for line in wrapped([left], COLUMN)],
                      [line for _, right in CELLS for line in wrapped([right], COLUMN)], True),
}


def test_a_page_of_short_lines_is_not_split_into_columns(tmp_path):
    items = [f"({n}) {kind}" for n, (kind, _) in enumerate(RETENTION, 1)]
    pages = [["第1条 保存する文書は、次のとおり。", *items], ["第2条 次の文書は、書庫に置く。", *items[::-1]]]
    assert max(len(line) for page in pages for line in page) <= 20  # all end before the middle of the page
    text = extract_text(make_pdf(tmp_path / "reiki.pdf", pages))
    assert text.splitlines() == [*pages[0], *pages[1]]


@pytest.mark.parametrize("layout", SIDE_BY_SIDE)
def test_a_list_or_table_set_side_by_side_still_reads_row_by_row(tmp_path, layout):
    left, right, ruled = SIDE_BY_SIDE[layout]
    assert len(left) == len(right) >= 5
    pages = [([head, *left[::step]], ["", *right[::step]])
             for head, step in (("第1条 保存期間は、次のとおりとする。", 1), ("第2条 前条の表は、逆順とする。", -1))]
    path = make_column_pdf(tmp_path / "reiki.pdf", pages, ruled=ruled)
    rows = [" ".join(filter(None, row)) for columns in pages for row in zip(*columns, strict=True)]
    assert extract_text(path).splitlines() == rows


# -- DOCX -----------------------------------------------------------------------------------------------

def test_a_docx_reads_paragraphs_in_order_and_tables_as_lines(tmp_path):
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "サンプル市例規集"
    document.sections[0].footer.paragraphs[0].text = "- 1 -"
    for line in [TITLE, ENACTED, *TOC, *BODY, *SUPPL]:
        document.add_paragraph(line)
    table = document.add_table(rows=len(FORM_ROWS), cols=2)
    for row, values in zip(table.rows, FORM_ROWS, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("備考 用紙の大きさは、日本産業規格A4とする。")
    path = tmp_path / "reiki.docx"
    document.save(path)
    text = extract_text(path)
    assert keys_of(text) == KEYS
    assert "例規集" not in text and "- 1 -" not in text
    assert text.splitlines()[-4:] == ["項目 記入欄", "受託者の名称 （記入）", "管理責任者の氏名 （記入）",
                                      "備考 用紙の大きさは、日本産業規格A4とする。"]


# -- what is not a regulation -----------------------------------------------------------------------------

def test_files_that_are_not_a_regulation_say_so(tmp_path):
    page = tmp_path / "news.html"
    page.write_text("<html><body><nav><a href='/'>トップ</a></nav><p>お知らせです。</p></body></html>", encoding="utf-8")
    with pytest.raises(NotARegulationError, match=r"news\.html: not a regulation: no article markers"):
        extract_text(page)
    image = tmp_path / "scan.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(UnsupportedFileError, match="PNG image"):
        extract_text(image)
    old = tmp_path / "reiki.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    with pytest.raises(UnsupportedFileError, match=r"old Word \.doc"):
        extract_text(old)


# -- front matter -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", PAGES)
def test_front_matter_is_drafted_from_the_page(tmp_path, layout):
    reg = parse_text(extract_text(write_page(tmp_path, layout)), doc_id="s")
    assert draft_front_matter(reg) == {
        "title": "サンプル市個人情報取扱規程",
        "municipality": "サンプル市",
        "instrument": "規程（訓令）",
        "number": "訓令第5号",
        "enacted": "令和2年3月31日",
        "amended": ["令和4年3月31日"],
    }


def test_front_matter_names_the_organ_that_issued_the_act():
    text = "\n".join([
        "○若葉市教育委員会個人情報管理規程",
        "令和5年3月30日教育委員会訓令第2号",
        "第1条　この規程は、教育委員会が保有する個人情報の管理に関し必要な事項を定める。",
    ])
    meta = draft_front_matter(parse_text(text, doc_id="s"))
    assert (meta["number"], meta["instrument"], meta["municipality"]) == ("教育委員会訓令第2号", "規程（教育委員会訓令）",
                                                                          "若葉市")


def test_front_matter_of_a_yoryo_with_kanji_dates_and_amendment_notes():
    text = "\n".join([
        "東雲台町特定個人情報事務取扱要領",
        "令和元年十月一日制定",
        "令和五年四月一日一部改正",
        "第1 趣旨",
        "この要領は、事務の取扱いを定める。",
        "(令3告示12・一部改正)",
        "第2 責任者",
        "課長を責任者とする。",
    ])
    meta = draft_front_matter(parse_text(text, doc_id="s"))
    assert meta == {"title": "東雲台町特定個人情報事務取扱要領", "municipality": "東雲台町", "instrument": "要領",
                    "enacted": "令和元年10月1日", "amended": ["令和3年告示第12号", "令和5年4月1日"]}


@pytest.mark.parametrize(("title", "expected"), [
    ("美馬市職員等の特定個人情報等取扱規程", (None, "美馬市")),
    ("千早川町個人情報取扱事務規則", (None, "千早川町")),
    ("東村山市個人情報保護規程", (None, "東村山市")),
    ("福島県郡山市文書規程", ("福島県", "郡山市")),
    ("福島県個人情報保護条例", ("福島県", None)),
    ("個人情報取扱規程", (None, None)),
    ("若葉地区広域行政事務組合個人情報取扱要領", (None, "若葉地区広域行政事務組合")),  # not 若葉地区
    ("若葉県後期高齢者医療広域連合個人情報管理規程", (None, "若葉県後期高齢者医療広域連合")),
])
def test_municipality_is_read_from_the_start_of_the_title(title, expected):
    assert municipality_of(title) == expected


def test_an_id_comes_from_ascii_in_the_title_or_must_be_given():
    assert derived_id("サンプル市ICT機器利用規程", "規程") == "ict-kitei"
    assert derived_id("サンプル市個人情報取扱規程", "規程（訓令）") is None
    assert suggested_id("reiki", "規程（訓令）") == "reiki-kitei"
    assert suggested_id("例規", "要綱") == "city-yoko"


def test_write_regulation_writes_front_matter_and_text_and_refuses_a_taken_id(tmp_path):
    from corpus.errors import RegulationExistsError

    text = extract_text(write_page(tmp_path, "two-columns"))
    meta = {"id": "sample-kitei", "title": "サンプル市個人情報取扱規程", "municipality": "サンプル市"}
    folder = tmp_path / "regs"
    path = write_regulation(text, meta, folder, replace=False)
    assert path == folder / "sample-kitei.txt"
    assert path.read_text(encoding="utf-8").startswith("---\nid: sample-kitei\ntitle: サンプル市個人情報取扱規程\n")
    reg = parse_file(path)
    assert reg.id == "sample-kitei" and reg.meta["municipality"] == "サンプル市" and len(reg.articles()) == 5
    with pytest.raises(RegulationExistsError, match="add --replace"):
        write_regulation(text, meta, folder, replace=False)
    write_regulation(text, {**meta, "municipality": "サンプル町"}, folder, replace=True)
    assert parse_file(path).meta["municipality"] == "サンプル町"
    assert [p.name for p in folder.iterdir()] == ["sample-kitei.txt"]


def test_write_regulation_refuses_a_folder_it_cannot_write(tmp_path, monkeypatch):
    from corpus.errors import CorpusError

    monkeypatch.setattr("corpus.folder.os.access", lambda path, mode: False)
    with pytest.raises(CorpusError, match="is not writable"):
        write_regulation("第1条 x。\n", {"id": "sample-kitei"}, tmp_path / "regs", replace=False)


def test_a_shift_jis_text_file_with_windows_line_ends_reads(tmp_path):
    path = tmp_path / "reiki.txt"
    path.write_bytes("\r\n".join([TITLE, ENACTED, *BODY, *SUPPL]).encode("cp932"))
    text = extract_text(path)
    assert text.splitlines()[0] == TITLE and "\r" not in text
    assert keys_of(text)[:3] == ["s:1", "s:1:1", "s:2"]


def test_a_docx_numbered_by_word_itself_says_its_numbers_are_not_in_the_text(tmp_path, caplog):
    import docx

    document = docx.Document()
    for line in [TITLE, ENACTED, *BODY]:
        paragraph = document.add_paragraph(line)
        if line.startswith("("):  # as Word numbers a list: the number is drawn, not written
            paragraph.text = line.split(" ", 1)[1]
            paragraph._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = 1
    path = tmp_path / "auto.docx"
    document.save(path)
    with caplog.at_level("WARNING", logger="hogo.corpus"):
        extract_text(path)
    assert "auto.docx: 5 paragraph(s) are numbered by Word's automatic list numbering" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="hogo.corpus"):
        extract_text(write_docx(tmp_path))
    assert caplog.text == ""


def write_docx(tmp_path):
    import docx

    document = docx.Document()
    for line in [TITLE, ENACTED, *BODY]:
        document.add_paragraph(line)
    path = tmp_path / "plain.docx"
    document.save(path)
    return path
