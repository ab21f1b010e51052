"""Can the bundled encoder, read as a cross-encoder, tell whether a clause answers a question? An experiment
for abstention on a new city's rules (documented in docs/retrieval.md, "A reader from the bundled encoder").

Usage: python -m evals.reader_probe [DATA_DIR] [--epochs N]   (needs torch: ``pip install -e '.[test]'``)

For each bundled document D, its dev questions scoped to D alone are searched as a new city's are (the shipped
files with the example questions answered by D removed, as in ``evals.foreign_pull``), and each question is
paired with its top five passages (``"<question> passage: <clause>"``, read by the encoder in one pass, so
question and clause attend to each other). A pair is positive when the passage belongs to a gold article. Two
readers are fitted on the other document's pairs and scored on D's:

- ``frozen``: the bundled model unchanged, a logistic regression on the pair's mean-pooled vector;
- ``tuned``: the model with LoRA on every layer (``evals.fit_adapter.TorchE5``) and a linear head, trained
  with a weighted binary cross-entropy for ``--epochs`` epochs.

A question's reader score is its best over the first three passages. Printed per document: the pair AUC, the
question AUC (covered against uncovered) beside the shipped coverage score's, and, for the uncovered questions
the shipped search does not abstain on, how many fall below the reader score of the 3 % lowest covered ones.

Only dev questions are read.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.loader import Corpus
from evals.lodo import without_doc
from evals.metrics import article_of
from evals.runner import load_questions
from retrieval.e5onnx import OnnxE5
from retrieval.engine import EXAMPLES, AskEngine

TOP = 5  # passages paired with each question
READ = 3  # passages whose best reader score is the question's
BODY_CHARS = 200
COVERED_LOSS = 0.03


@dataclass
class Searched:
    doc: str
    covered: bool
    abstained: bool  # by the shipped search, as a new city's question
    relevance: float  # the shipped coverage score
    pairs: list[tuple[str, bool]]  # (pair text, passage in a gold article), best first


def searched(corpus: Corpus, data_dir: Path) -> list[Searched]:
    out = []
    with tempfile.TemporaryDirectory(prefix="hogo-reader-") as scratch:
        for doc in corpus.regulations:
            examples = without_doc(EXAMPLES, doc, Path(scratch) / f"{doc}.tsv")
            searcher = AskEngine.open(corpus, data_dir, examples=examples).searcher
            for q in load_questions(split="dev"):
                if q.scope != [doc]:
                    continue
                result = searcher.search(q.q, q.scope, k=TOP)
                gold = {article_of(key) for key in q.gold}
                pairs = [(f"{q.q} passage: {h.passage.body[:BODY_CHARS]}", article_of(h.passage.key) in gold)
                         for h in result.hits[:TOP]]
                out.append(Searched(doc, bool(q.gold), result.abstain, result.relevance, pairs))
    return out


def auc(positive: list[float], negative: list[float]) -> float:
    p, n = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float(np.mean(p > n) + 0.5 * np.mean(p == n))


def frozen(train: list[Searched], test: list[Searched]) -> list[list[float]]:
    """Pair scores of ``test`` from a logistic regression on the bundled model's pair vectors."""
    from scipy.optimize import minimize

    model = OnnxE5()

    def vectors(rows: list[Searched]) -> np.ndarray:
        return model.query([text for r in rows for text, _ in r.pairs])

    x = vectors(train)
    y = np.array([gold for r in train for _, gold in r.pairs], dtype=float)
    mean, std = x.mean(0), x.std(0) + 1e-6
    x = (x - mean) / std
    penalty = 0.1  # the strongest of 1e-4 … 0.1 tried; weaker ones fit the training document's pairs

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        p = 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))
        value = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9)) + penalty * np.sum(w[:-1] ** 2)
        grad = np.concatenate([x.T @ (p - y) / len(y) + 2 * penalty * w[:-1], [np.mean(p - y)]])
        return value, grad

    w = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B").x
    scores = ((vectors(test) - mean) / std) @ w[:-1] + w[-1]
    return _split(scores, test)


def tuned(train: list[Searched], test: list[Searched], epochs: int) -> list[list[float]]:
    """Pair scores of ``test`` from the encoder fine-tuned as a cross-encoder (LoRA on every layer, a head)."""
    import torch

    from evals.fit_adapter import TorchE5

    torch.manual_seed(0)
    model = TorchE5(first=0)
    head = torch.nn.Linear(model.model.hidden, 1)
    optimiser = torch.optim.AdamW(model.parameters() + list(head.parameters()), lr=1e-3)
    pairs = [(text, float(gold)) for r in train for text, gold in r.pairs]
    positives = sum(g for _, g in pairs)
    loss = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(pairs) - positives) / positives))
    shuffle = random.Random(0)
    for _ in range(epochs):
        shuffle.shuffle(pairs)
        for start in range(0, len(pairs), 16):
            batch = pairs[start:start + 16]
            logits = head(model([t for t, _ in batch]) * 10).squeeze(-1)
            value = loss(logits, torch.tensor([g for _, g in batch]))
            optimiser.zero_grad()
            value.backward()
            optimiser.step()
    texts = [text for r in test for text, _ in r.pairs]
    with torch.no_grad():
        scores = np.concatenate([head(model(texts[s:s + 32]) * 10).squeeze(-1).numpy()
                                 for s in range(0, len(texts), 32)])
    return _split(scores, test)


def _split(scores: np.ndarray, rows: list[Searched]) -> list[list[float]]:
    out, at = [], 0
    for r in rows:
        out.append(scores[at:at + len(r.pairs)].tolist())
        at += len(r.pairs)
    return out


def report(name: str, rows: list[Searched], scores: list[list[float]]) -> str:
    pair_pos = [s for r, ss in zip(rows, scores, strict=True) for (_, g), s in zip(r.pairs, ss, strict=True) if g]
    pair_neg = [s for r, ss in zip(rows, scores, strict=True) for (_, g), s in zip(r.pairs, ss, strict=True) if not g]
    best = [max(ss[:READ]) if ss else -np.inf for ss in scores]
    covered = [b for r, b in zip(rows, best, strict=True) if r.covered]
    uncovered = [b for r, b in zip(rows, best, strict=True) if not r.covered]
    relevance = auc([r.relevance for r in rows if r.covered], [r.relevance for r in rows if not r.covered])
    floor = float(np.quantile(covered, COVERED_LOSS))
    missed = [b for r, b in zip(rows, best, strict=True) if not r.covered and not r.abstained]
    caught = sum(b < floor for b in missed)
    return (f"{name:<8} pair AUC {auc(pair_pos, pair_neg):.3f}  question AUC {auc(covered, uncovered):.3f} "
            f"(coverage score {relevance:.3f})  uncovered answered by the search: {len(missed)}, "
            f"below the {COVERED_LOSS:.0%} covered floor: {caught}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=".hogo")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    rows = searched(Corpus.load(), Path(args.data_dir))
    for doc in dict.fromkeys(r.doc for r in rows):
        train = [r for r in rows if r.doc != doc]
        test = [r for r in rows if r.doc == doc]
        print(f"held out {doc}: {len(test)} questions ({sum(not r.covered for r in test)} uncovered), "
              f"readers fitted on {len(train)} of the other document")
        print("  " + report("frozen", test, frozen(train, test)), flush=True)
        print("  " + report("tuned", test, tuned(train, test, args.epochs)), flush=True)


if __name__ == "__main__":
    main()
