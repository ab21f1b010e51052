"""How index build time, memory and answer latency grow with the number of regulations.

For each N it writes N synthetic regulations made from the bundled ones (ids ``synth-NNN-…``, a made-up
municipality 「合成…市」, titles starting 「（合成）」, ``synthetic: true`` in the front matter; articles shuffled
within each chapter and renumbered with the references to them; posts, dates and wording varied by a seeded
random choice of names, synonyms, particles and commas) into a folder of its own (a temporary one unless
``--work``, never inside the repository), then measures in a fresh process: the
first index build exactly as ``hogo serve`` does it on an empty data dir (bundled embedder, embedded Chroma,
BM25), that process's peak RSS, and the warm latency of ``AskEngine.ask`` (what ``POST /api/ask`` calls,
answer cache off) for dev questions asked scoped to one synthetic regulation and unscoped. A second fresh
process reopens the built data dir (a server restart). Method and figures: docs/scale.md.

Usage: .venv/bin/python benchmarks/scale.py [--sizes 2,10,50] [--questions 60] [--work DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCES = ("koriyama-kijun", "mima-kitei")
SEED = 18
NAMES = ("青葉", "若葉", "白浜", "朝日", "緑川", "松風", "鶴見", "清水", "桜台", "梅園",
         "柏原", "桐生", "楓", "椿山", "藤沢", "菖蒲", "萩野", "榎本", "杉浦", "檜山")
QUARTERS = ("", "東", "西", "南", "北")
# Wording a city may choose differently; each synthetic regulation takes each swap with probability 1/2.
SWAPS = (
    ("しなければならない", "するものとする"), ("速やかに", "遅滞なく"), ("直ちに", "即座に"),
    ("適切な", "適正な"), ("適切に", "適正に"), ("講ずる", "講じる"), ("必要な措置", "所要の措置"),
    ("必要に応じて", "必要に応じ"), ("次に掲げる", "以下に掲げる"), ("当該", "その"), ("場合には", "ときは"),
    ("ものとする。", "こととする。"), ("委託先", "受託者"), ("情報システム", "電子計算機システム"),
    ("漏えい", "漏洩"), ("取扱い", "取り扱い"), ("を行う", "を実施する"), ("確認する", "確かめる"),
    ("定期的に", "毎年度"), ("研修", "講習"),
)
# What each city calls the posts of its privacy organisation; each synthetic regulation picks one name per post.
POSTS = {
    "総括保護管理者": ("統括個人情報保護管理者", "個人情報保護総括管理者"),
    "総括保護副管理者": ("副統括保護管理者", "総括保護管理補佐者"),
    "統括保護責任者": ("統括個人情報保護責任者", "個人情報統括責任者"),
    "保護責任者": ("個人情報保護責任者", "情報保護責任者"),
    "保護管理者": ("個人情報管理者", "保護管理責任者"),
    "保護担当者": ("個人情報保護担当者", "保護事務担当者"),
    "監査責任者": ("個人情報監査責任者", "保護監査責任者"),
    "監査補助者": ("監査担当者", "監査補佐者"),
    "事務取扱担当者": ("事務担当者", "個人番号事務担当者"),
    "統括情報システム管理者": ("情報システム統括管理者", "統括システム管理者"),
    "保有個人情報等取扱者": ("個人情報等取扱者", "保有情報取扱者"),
}
POST = re.compile("|".join(sorted(POSTS, key=len, reverse=True)))
DAY = re.compile(r"(\d+)(\s*)日")
# Drafting variants of one sentence (commas, particles, endings); each line takes each with probability 1/2,
# so that a clause is rarely worded the same in two synthetic regulations.
VARIANTS = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    (r"は、", "は"), (r"を(?!、)", "を、"), (r"において(?!、)", "において、"), (r"に対し(?!て)", "に対して"),
    (r"及び", "並びに"), (r"(?<!もの)とする。$", "ものとする。"), (r"ことができる。$", "ことができるものとする。"),
    (r"、(?=[^、]*。$)", ""),
))
ENACTMENT = re.compile(r"施行する。$")
ARTICLE = re.compile(r"^第\s*(\d+)\s*条(?:\s*の\s*(\d+))?(?=\s)")
REFERENCE = re.compile(r"第\s*(\d+)\s*条(?:\s*の\s*(\d+))?")
OTHER_LAW = "法令則綱例程準）)"  # 番号法第9条, 規程第3条, …（平成27年…規則第29号）第2条: not this regulation's articles
HEADING = re.compile(r"^[(（][^()（）]+[)）]$")
CHAPTER = re.compile(r"^第\s*\d+\s*章")
SUPPLEMENT = re.compile(r"^附\s*則")


def municipality(index: int) -> str:
    return f"合成{NAMES[index % len(NAMES)]}{QUARTERS[index // len(NAMES) % len(QUARTERS)]}市"


def article_blocks(lines: list[str]) -> tuple[list[str], list[tuple[list[str], list[list[str]]]], list[str]]:
    """(preamble, chapters, the rest from the first 附則 on). A chapter is its own lines before its first
    article (the chapter line; nothing for the first, whose line is in the preamble) and its articles, each
    with its heading line."""
    starts = [i for i, line in enumerate(lines) if ARTICLE.match(line)]
    end = next((i for i in range(starts[-1], len(lines)) if SUPPLEMENT.match(lines[i].strip())), len(lines))
    cuts = []
    for i in starts:
        j = i - 1
        while j > 0 and not lines[j].strip():
            j -= 1
        cuts.append(j if HEADING.match(lines[j].strip()) else i)
    chapters: list[tuple[list[str], list[list[str]]]] = [([], [])]
    for n, cut in enumerate(cuts):
        block = lines[cut : cuts[n + 1] if n + 1 < len(cuts) else end]
        chapter_at = next((k for k, line in enumerate(block) if CHAPTER.match(line.strip())), len(block))
        chapters[-1][1].append(block[:chapter_at])
        if chapter_at < len(block):  # a chapter line after this article opens the next chapter
            chapters.append((block[chapter_at:], []))
    return lines[: cuts[0]], chapters, lines[end:]


def label(match: re.Match) -> str:
    return match.group(1) + (f"の{match.group(2)}" if match.group(2) else "")


def split_label(value: str) -> str:
    number, _, branch = value.partition("の")
    return f"第{number}条" + (f"の{branch}" if branch else "")


def shuffle_articles(lines: list[str], rng: random.Random) -> list[str]:
    """Articles shuffled within each chapter and renumbered in their new order (each chapter keeps its
    numbers, so the table of contents stays true); references to them follow. The first article (趣旨) and
    the last stay where they are: a 附則 without its header runs on from the last article's text."""
    preamble, chapters, rest = article_blocks(lines)
    renumber: dict[str, str] = {}
    body: list[str] = []
    for n, (head, articles) in enumerate(chapters):
        labels = [label(next(m for m in map(ARTICLE.match, b) if m)) for b in articles]
        first, last = int(n == 0), int(n == len(chapters) - 1)
        order = list(range(first, len(articles) - last))
        rng.shuffle(order)
        order = [0] * first + order + [len(articles) - 1] * last
        for new_label, old in zip(labels, order, strict=True):
            renumber[labels[old]] = new_label
        body += head
        for i in order:  # one blank line after each article wherever it lands
            block = articles[i]
            while len(block) > 1 and not block[-1].strip():
                block = block[:-1]
            body += [*block, ""]

    def follow(match: re.Match) -> str:
        start = match.start()
        before = match.string[start - 1] if start else ""
        if before and before in OTHER_LAW:
            return match.group(0)
        new = renumber.get(label(match))
        return split_label(new) if new else match.group(0)

    return preamble + [REFERENCE.sub(follow, line) for line in body + rest]


def reword(line: str, swaps: list[tuple[str, str]], rng: random.Random) -> str:
    """The line with this regulation's word choices, then each drafting variant taken or not at random. A
    commencement line (…から施行する。) stays as it is: it is how a 附則 without its header is recognised."""
    if ENACTMENT.search(line):
        return line
    for old, new in swaps:
        line = line.replace(old, new)
    for pattern, replacement in VARIANTS:
        if rng.random() < 0.5:
            line = pattern.sub(replacement, line, count=1)
    return line


def synthesize(source: Path, index: int) -> tuple[str, str]:
    """(document id, file text) of synthetic regulation ``index`` made from the bundled file ``source``."""
    from corpus.frontmatter import to_yaml
    from corpus.loader import split_front_matter

    rng = random.Random(f"{SEED}:{index}")
    meta, body, _ = split_front_matter(source.read_text(encoding="utf-8"))
    city, name = str(meta["municipality"]), municipality(index)
    swaps = [pair for pair in SWAPS if rng.random() < 0.5]
    posts = {post: rng.choice((post, *others)) for post, others in POSTS.items()}
    shift = rng.randrange(28)  # its dates fall on other days
    renamed, title = str(meta["title"]).replace(city, name), "（合成）" + str(meta["title"]).replace(city, name)
    text = POST.sub(lambda m: posts[m.group(0)], body.replace(city, name))
    text = DAY.sub(lambda m: f"{(int(m.group(1)) + shift) % 28 + 1}{m.group(2)}日", text)
    text = text.replace(renamed, title, 1).replace(str(meta["prefecture"]), "合成県")
    text = "\n".join(reword(line, swaps, rng) for line in shuffle_articles(text.splitlines(), rng))
    doc_id = f"synth-{index:03d}-{meta['id'].split('-')[-1]}"
    front = {**meta, "id": doc_id, "title": title, "municipality": name, "prefecture": "合成県",
             "synthetic": True, "synthetic_from": meta["id"]}
    return doc_id, to_yaml(front) + text + "\n"


def write_corpus(directory: Path, n: int) -> list[str]:
    """N synthetic regulations in ``directory`` (alternating sources); returns their ids."""
    from corpus.loader import BUNDLED_DIR

    directory.mkdir(parents=True, exist_ok=True)
    ids = []
    for index in range(n):
        doc_id, text = synthesize(BUNDLED_DIR / f"{SOURCES[index % len(SOURCES)]}.txt", index)
        (directory / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        ids.append(doc_id)
    return ids


# -- one N, in a fresh process ----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))] if ordered else 0.0


def measure(corpus_dir: Path, data_dir: Path, count: int) -> dict:
    """Build the index as ``hogo serve`` does, then time the questions: the figures of one N as a dict."""
    from bot.services import open_engine
    from bot.settings import Settings
    from evals.runner import load_questions

    settings = Settings(data_dir=data_dir, corpus_dir=corpus_dir, answer_cache=0)
    started = time.perf_counter()
    engine = open_engine(settings, show_progress=False, generative=False)
    build = time.perf_counter() - started
    by_source: dict[str, list[str]] = {}
    for reg in engine.corpus:
        by_source.setdefault(str(reg.meta["synthetic_from"]), []).append(reg.id)
    questions = random.Random(SEED).sample(load_questions(split="dev"), count)
    asked = []
    for n, q in enumerate(questions):  # scoped: one synthetic regulation made from the question's own
        docs = by_source[q.scope[0] if q.scope else SOURCES[n % len(SOURCES)]]
        asked.append((q.q, docs[n % len(docs)]))
    for doc in engine.corpus.regulations:  # warm: every document searched once, and unscoped search
        engine.ask(questions[0].q, [doc])
    for q in questions[:5]:
        engine.ask(q.q)
    latencies: dict[str, list[float]] = {"scoped": [], "unscoped": []}
    for question, doc in asked:
        for mode, scope in (("scoped", [doc]), ("unscoped", None)):
            began = time.perf_counter()
            engine.ask(question, scope)
            latencies[mode].append((time.perf_counter() - began) * 1000)
    figures = {"n": len(engine.corpus.regulations), "units": len(engine.passages), "build_s": build,
               "distinct": len({p.index_text for p in engine.passages}),
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "questions": count}
    for mode, values in latencies.items():
        figures[f"{mode}_p50"], figures[f"{mode}_p95"] = percentile(values, 50), percentile(values, 95)
    return figures


def reopen(corpus_dir: Path, data_dir: Path, _count: int = 0) -> dict:
    """Open an already built data dir, as a restarted server does."""
    from bot.services import open_engine
    from bot.settings import Settings

    started = time.perf_counter()
    engine = open_engine(Settings(data_dir=data_dir, corpus_dir=corpus_dir), show_progress=False, generative=False)
    engine.ask("USBをなくした。誰に報告？")  # the first answer loads what opening leaves for later
    return {"reopen_s": time.perf_counter() - started,
            "serve_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(mode: str, corpus_dir: Path, data_dir: Path, count: int) -> dict:
    """Run ``measure`` or ``reopen`` in a fresh process: its build time and peak RSS are its own."""
    result = subprocess.run([sys.executable, __file__, f"--{mode}", str(corpus_dir), str(data_dir), str(count)],
                            capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        sys.exit(f"{mode} {corpus_dir} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2,10,50", help="numbers of synthetic regulations, comma-separated")
    parser.add_argument("--questions", type=int, default=60, help="dev questions asked, each scoped and unscoped")
    parser.add_argument("--work", type=Path, help="folder for the synthetic corpora and data dirs (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and data dirs afterwards")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--reopen", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure or args.reopen:
        corpus_dir, data_dir, count = args.measure or args.reopen
        run = measure if args.measure else reopen
        print(json.dumps(run(Path(corpus_dir), Path(data_dir), int(count))))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="hogo-scale-"))
    if work.resolve().is_relative_to(ROOT):
        sys.exit("--work must be outside the repository: synthetic regulations are never part of the corpus")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at start: {load} ({os.cpu_count()} cores); {args.questions} dev questions, each scoped "
          "to one synthetic regulation and unscoped; warm; answer cache off")
    print("units: passages indexed (distinct texts); build: first index build and the peak RSS of its process (which "
          "then answers the questions); reopen: a fresh process opening the built data dir and answering once, and "
          "its peak RSS; load: 1-minute load average after the row")
    print(f"{'N':>3} {'units':>12} {'build s':>8} {'peak MB':>7} {'reopen s':>9} {'peak MB':>7} "
          f"{'scoped p50/p95 ms':>18} {'unscoped p50/p95 ms':>20} {'load':>5}")
    try:
        for n in (int(x) for x in args.sizes.split(",")):
            folder = work / f"n{n}"
            shutil.rmtree(folder, ignore_errors=True)
            write_corpus(folder / "corpus", n)
            figures = child("measure", folder / "corpus", folder / "data", args.questions)
            figures |= child("reopen", folder / "corpus", folder / "data", 0)
            units = f"{figures['units']} ({figures['distinct']})"
            print(f"{n:>3} {units:>12} {figures['build_s']:>8.1f} {figures['rss_mb']:>7.0f} "
                  f"{figures['reopen_s']:>9.1f} {figures['serve_rss_mb']:>7.0f} "
                  f"{figures['scoped_p50']:>8.1f} / {figures['scoped_p95']:<7.1f} "
                  f"{figures['unscoped_p50']:>9.1f} / {figures['unscoped_p95']:<8.1f} {os.getloadavg()[0]:>5.2f}",
                  flush=True)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:  # what this run wrote; a --work folder itself stays
            for n in args.sizes.split(","):
                shutil.rmtree(work / f"n{int(n)}", ignore_errors=True)
            if args.work is None:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
