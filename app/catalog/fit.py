"""Will a model fit? Memory for weights + KV cache, and where the layers should go.

Weights take the GGUF file's size (or parameters × bits per weight for a
model not downloaded yet).  The KV cache holds a key and a value vector per
layer per token: 2 × layers × context × kv_heads × head_dim × 2 bytes (f16).
Compute buffers and runtime add an overhead.  A model *fits* when the total
is under 80 % of the memory it would use, is *tight* up to 100 %, and
*won't fit* beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from app.catalog.gguf_info import GGUFInfo
from app.catalog.hardware import Hardware

GB = 1024**3
OVERHEAD_BYTES = int(0.5 * GB)  # compute buffers, CUDA/Metal context, scratch
KV_BYTES = 2  # f16 cache
Verdict = Literal["fits", "tight", "won't fit"]


@dataclass(frozen=True)
class ModelShape:
    weights_bytes: int
    layers: int
    kv_heads: int
    head_dim: int


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    overhead: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead


@dataclass(frozen=True)
class Fit:
    verdict: Verdict
    device: str  # "GPU (name)" or "RAM"
    estimate: MemoryEstimate
    available: int
    gpu_layers: int  # what n_gpu_layers "auto" picks: -1 all, 0 none, n partial
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "device": self.device,
            "memory_bytes": self.estimate.total,
            "available_bytes": self.available,
            "gpu_layers": self.gpu_layers,
            "reason": self.reason,
        }


def context_for(wanted: int, trained: int | None) -> int:
    """The context a model is loaded with: the setting, capped at what it was trained for."""
    return min(wanted, trained) if trained else wanted


def shape_of(
    *,
    weights_bytes: int,
    layers: int | None,
    embedding: int | None,
    heads: int | None,
    kv_heads: int | None,
    head_dim: int | None,
) -> ModelShape:
    """Fill gaps the way llama.cpp does: head_dim = embedding / heads, kv_heads = heads."""
    n_layers = layers or 32
    n_heads = heads or 32
    dim = head_dim or ((embedding // n_heads) if embedding else 128)
    return ModelShape(weights_bytes, n_layers, kv_heads or n_heads, dim)


def shape_from_info(info: GGUFInfo) -> ModelShape:
    """The shape of a model file from its GGUF metadata."""
    return shape_of(
        weights_bytes=info.size_bytes,
        layers=info.layers,
        embedding=info.embedding,
        heads=info.heads,
        kv_heads=info.kv_heads,
        head_dim=info.head_dim,
    )


def estimate(shape: ModelShape, n_ctx: int) -> MemoryEstimate:
    kv = 2 * shape.layers * n_ctx * shape.kv_heads * shape.head_dim * KV_BYTES
    return MemoryEstimate(shape.weights_bytes, kv, OVERHEAD_BYTES)


def _verdict(total: int, available: int) -> Verdict:
    if available <= 0 or total > available:
        return "won't fit"
    return "fits" if total <= 0.8 * available else "tight"


def fit(shape: ModelShape, n_ctx: int, hw: Hardware) -> Fit:
    est = estimate(shape, n_ctx)
    gpu = hw.offload_gpu
    if gpu is not None:
        vram = gpu.vram_total
        verdict = _verdict(est.total, vram)
        if verdict != "won't fit":
            return Fit(
                verdict,
                f"GPU ({gpu.name})",
                est,
                vram,
                -1,
                f"All {shape.layers} layers on the GPU: needs about {est.total / GB:.1f} GB "
                f"of {vram / GB:.1f} GB VRAM.",
            )
        # Partial offload: as many layers as fit beside the cache and buffers.
        room = 0.9 * vram - est.kv_cache - est.overhead
        per_layer = shape.weights_bytes / shape.layers
        layers = max(0, min(shape.layers, int(room / per_layer))) if per_layer else 0
        cpu_part = est.total - layers * per_layer
        verdict = _verdict(int(cpu_part), hw.ram_available)
        return Fit(
            verdict,
            f"GPU ({gpu.name}) + RAM",
            est,
            vram + hw.ram_available,
            layers,
            f"{layers} of {shape.layers} layers fit in {vram / GB:.1f} GB VRAM; the rest "
            f"needs about {cpu_part / GB:.1f} GB of {hw.ram_available / GB:.1f} GB free RAM.",
        )
    verdict = _verdict(est.total, hw.ram_available)
    return Fit(
        verdict,
        "RAM",
        est,
        hw.ram_available,
        0,
        f"Needs about {est.total / GB:.1f} GB of {hw.ram_available / GB:.1f} GB free RAM "
        f"(weights {est.weights / GB:.1f} GB, context cache {est.kv_cache / GB:.2f} GB).",
    )


def gpu_layers_setting(value: str, auto: int) -> int:
    """Settings/override value ("auto", "all", "off" or a number) → n_gpu_layers."""
    value = value.strip().lower()
    if value == "auto":
        return auto
    if value == "all":
        return -1
    if value in ("off", "0", "none"):
        return 0
    return int(value)
