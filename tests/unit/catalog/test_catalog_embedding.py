"""The local sentence model: 384 unit-length dimensions, meaning over spelling."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from obsai_catalog.embedding import (
    CachedEmbedder,
    OnnxSentenceEmbedder,
    int8_compute_model,
    mean_pool_normalise,
    packaged_model_path,
    to_pgvector,
)


def test_mean_pooling_ignores_padding_and_normalises() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]], dtype=np.int64)
    (vector,) = mean_pool_normalise(hidden, mask)
    assert vector.tolist() == [1.0, 0.0]


def test_the_packaged_model_embeds_by_meaning() -> None:
    model = OnnxSentenceEmbedder()
    assert model.dimension == 384
    latency, duration, memory = model.embed(
        [
            "p95 latency of checkout",
            "http request duration seconds. Time spent answering HTTP requests.",
            "container memory usage bytes",
        ]
    )
    assert len(latency) == 384
    assert math.isclose(float(np.linalg.norm(latency)), 1.0, rel_tol=1e-3)
    assert float(np.dot(latency, duration)) > float(np.dot(latency, memory))
    # Order within a batch does not change a text's vector.
    (again,) = model.embed(["p95 latency of checkout"])
    assert np.allclose(again, latency, atol=1e-5)
    assert model.embed([]) == []


def test_int8_compute_stays_close_to_the_graph_as_shipped() -> None:
    texts = ["p95 latency of checkout", "which pods are about to run out of memory"]
    int8 = OnnxSentenceEmbedder(int8_compute=True)
    shipped = OnnxSentenceEmbedder()
    assert shipped.model_id != int8.model_id
    fast = int8.embed(texts)
    for vector, exact in zip(fast, shipped.embed(texts), strict=True):
        assert float(np.dot(vector, exact)) > 0.99
    # Each text runs alone: its vector does not depend on the texts embedded with it.
    assert int8.embed(texts[:1]) == fast[:1]


def test_the_int8_model_is_built_once_and_reused(tmp_path: Path) -> None:
    built = int8_compute_model(packaged_model_path(), tmp_path)
    stamp = built.stat().st_mtime_ns
    assert int8_compute_model(packaged_model_path(), tmp_path) == built
    assert built.stat().st_mtime_ns == stamp
    # Nothing but the model is left behind.
    assert list(tmp_path.iterdir()) == [built]


class Counting:
    model_id = "counting"
    dimension = 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> list[list[float]]:  # type: ignore[override]
        self.calls.append(list(texts))
        return [[float(len(t)), 1.0] for t in texts]


def test_the_cache_embeds_each_text_once() -> None:
    inner = Counting()
    cached = CachedEmbedder(inner, size=2)
    assert cached.embed(["a", "bb", "a"]) == [[1.0, 1.0], [2.0, 1.0], [1.0, 1.0]]
    assert cached.embed(["bb"]) == [[2.0, 1.0]]
    assert inner.calls == [["a", "bb"]]
    cached.embed(["ccc"])  # evicts the least recently used ("a")
    cached.embed(["a"])
    assert inner.calls[-1] == ["a"]


def test_pgvector_text_form() -> None:
    assert to_pgvector([1.0, -0.5, 1e-9]) == "[1,-0.5,1e-09]"
