"""The local sentence model: 384 unit-length dimensions, meaning over spelling."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from obsai_catalog.embedding import (
    CachedEmbedder,
    OnnxSentenceEmbedder,
    int8_compute_model,
    mean_pool_normalise,
    packaged_model_path,
    to_pgvector,
    token_shares,
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
    texts = [
        "p95 latency of checkout",
        "which pods are about to run out of memory",
        "node_memory_MemAvailable_bytes. Memory information field MemAvailable_bytes.",
    ]
    int8 = OnnxSentenceEmbedder()
    shipped = OnnxSentenceEmbedder(int8_compute=False)
    assert shipped.model_id != int8.model_id
    fast = int8.embed(texts)
    for vector, exact in zip(fast, shipped.embed(texts), strict=True):
        assert float(np.dot(vector, exact)) > 0.9995
    # Each token's activations are quantized on their own: a text's vector does not
    # depend on the texts embedded with it (nor on their padding).
    assert [int8.embed([text])[0] for text in texts] == fast


def test_token_shares_balance_tokens_and_runs() -> None:
    # A 16-token question and three short search texts: the question runs alone, the
    # short texts together on the other run (each run costs 5 tokens' worth besides).
    assert token_shares([16, 4, 5, 3], 2) == [[0], [2, 1, 3]]
    assert token_shares([16, 4, 5, 3], 1) == [[0, 2, 1, 3]]
    assert token_shares([7], 4) == [[0]]
    # Never more shares than texts, none empty; every text in exactly one.
    shares = token_shares([3, 9, 9, 2, 30, 1], 3)
    assert len(shares) == 3
    assert all(shares)
    assert sorted(i for share in shares for i in share) == list(range(6))
    assert token_shares([], 2) == []


def test_concurrent_runs_give_the_vectors_of_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "How much data did the catalog service transmit over the past 24 hours?",
        "network transmit bytes",
        "p95 latency of checkout",
        "memory",
    ]
    one = OnnxSentenceEmbedder()
    concurrent = OnnxSentenceEmbedder(runs=3)
    pool = concurrent._pool
    assert pool is not None
    submitted: list[object] = []
    submit = pool.submit
    monkeypatch.setattr(pool, "submit", lambda *a: submitted.append(a) or submit(*a))
    assert concurrent.model_id == one.model_id
    assert concurrent.embed(texts) == one.embed(texts)
    assert len(submitted) == 2  # a search's texts: three runs, two in the pool
    assert concurrent.embed(texts[:1]) == one.embed(texts[:1])
    # A bulk call (a scan's descriptions) runs whole in the caller's thread: it never
    # holds the pool a search's share waits for.
    many = [f"{text} number {n}" for n in range(12) for text in texts]
    assert concurrent.embed(many) == one.embed(many)
    assert len(submitted) == 2


def test_int8_compute_reads_the_shipped_weights_as_they_are(tmp_path: Path) -> None:
    import onnx

    built = onnx.load(str(int8_compute_model(packaged_model_path(), tmp_path)))
    ops = [node.op_type for node in built.graph.node]
    # Every weight product of the six layers (Q, K, V, output, two feed-forward) is
    # int8; the attention's products of activations stay as they were.
    assert ops.count("MatMulNBits") == 36
    casts = {node.output[0] for node in built.graph.node if node.op_type == "Cast"}
    widened = {n.output[0] for n in built.graph.node if n.op_type == "Mul" and n.input[0] in casts}
    products = [n for n in built.graph.node if n.op_type == "MatMul"]
    assert products
    assert not any(name in widened for n in products for name in n.input)


def test_the_int8_model_is_built_once_and_reused(tmp_path: Path) -> None:
    built = int8_compute_model(packaged_model_path(), tmp_path)
    stamp = built.stat().st_mtime_ns
    assert int8_compute_model(packaged_model_path(), tmp_path) == built
    assert built.stat().st_mtime_ns == stamp
    # Nothing but the model is left behind.
    assert list(tmp_path.iterdir()) == [built]


def test_int8_compute_quantizes_fp32_weights_per_column(tmp_path: Path) -> None:
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(7)
    weights = rng.normal(size=(64, 8)).astype(np.float32) * np.arange(1, 9, dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "fp32",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 8])],
        [numpy_helper.from_array(weights, "w")],
    )
    source = tmp_path / "fp32.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), source)
    built = int8_compute_model(source, tmp_path / "cache")
    assert [n.op_type for n in onnx.load(str(built)).graph.node] == ["MatMulNBits"]
    x = rng.normal(size=(3, 64)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(built), providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"x": x})
    exact = x @ weights
    # int8 weights and activations: ~1% off here; a wrong layout is off by ~100%.
    assert np.abs(y - exact).max() < 0.03 * np.abs(exact).max()


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
