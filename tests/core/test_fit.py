"""Memory fit: weights + KV cache + overhead against RAM/VRAM, checked against the seed table."""

from __future__ import annotations

import pytest

from app.catalog.fit import GB, ModelShape, estimate, fit, gpu_layers_setting
from app.catalog.hardware import GPU, Hardware

Q4_K_M_BITS = 4.85  # llama.cpp's Q4_K_M averages about 4.85 bits per weight


def q4(params_b: float) -> int:
    return int(params_b * 1e9 * Q4_K_M_BITS / 8)


# (label, parameters in billions, layers, kv_heads, head_dim, seed's "Q4 minimum VRAM" in GB)
# Shapes of the usual models of each size: Llama 3.1 8B, Llama 2 13B, Qwen2.5 32B, Llama 3.1 70B.
SEED = [
    ("7-8B", 8.0, 32, 8, 128, 6),
    ("13B", 13.0, 40, 40, 128, 10),
    ("30-34B", 32.5, 64, 8, 128, 20),
    ("70B", 70.6, 80, 8, 128, 40),
]


def hardware(ram_gb: float, vram_gb: float | None = None, offload: bool = True) -> Hardware:
    gpus = [GPU("Test GPU", "cuda", int(vram_gb * GB), int(vram_gb * GB))] if vram_gb else []
    return Hardware(int(ram_gb * GB), int(ram_gb * GB), "x86_64", ["AVX2"], False, gpus, offload)


@pytest.mark.parametrize(("label", "params", "layers", "kv", "dim", "seed_gb"), SEED)
def test_estimates_agree_with_the_seed_tables_q4_minimum_vram(
    label: str, params: float, layers: int, kv: int, dim: int, seed_gb: float
) -> None:
    # The seed's minimums assume a short context; at 2,048 tokens the estimate lands
    # within 20 % of the seed's figure for every size class.
    est = estimate(ModelShape(q4(params), layers, kv, dim), 2048)
    assert est.total / GB == pytest.approx(seed_gb, rel=0.20), label
    # ... and on a card with exactly the seed's VRAM it is at least a tight fit.
    verdict = fit(ModelShape(q4(params), layers, kv, dim), 2048, hardware(64, seed_gb * 1.1))
    assert verdict.verdict in ("fits", "tight") and verdict.gpu_layers == -1, label


def test_kv_cache_grows_linearly_with_context() -> None:
    shape = ModelShape(q4(8), 32, 8, 128)
    # Llama 3 8B at 8,192 tokens: 2 x 32 x 8192 x 8 x 128 x 2 bytes = 1 GiB exactly.
    assert estimate(shape, 8192).kv_cache == 1 * GB
    assert estimate(shape, 16384).kv_cache == 2 * GB


def test_verdicts_and_partial_offload() -> None:
    shape = ModelShape(q4(8), 32, 8, 128)  # about 5.3 GB at 4k context
    assert fit(shape, 4096, hardware(32)).verdict == "fits"
    assert fit(shape, 4096, hardware(6)).verdict == "tight"
    assert fit(shape, 4096, hardware(4)).verdict == "won't fit"
    # 4 GB VRAM: some layers on the GPU, the rest in RAM.
    partial = fit(shape, 4096, hardware(32, 4))
    assert 0 < partial.gpu_layers < 32 and "GPU" in partial.device and "RAM" in partial.device
    # A build without offload never picks GPU layers, whatever the card.
    cpu_only = fit(shape, 4096, hardware(32, 24, offload=False))
    assert cpu_only.gpu_layers == 0 and cpu_only.device == "RAM"
    # 70B on a 24 GB card and 16 GB RAM: won't fit even split.
    assert fit(ModelShape(q4(70.6), 80, 8, 128), 4096, hardware(16, 24)).verdict == "won't fit"


@pytest.mark.parametrize(
    ("value", "auto", "expected"),
    [("auto", -1, -1), ("auto", 0, 0), ("auto", 17, 17), ("all", 0, -1), ("off", -1, 0),
     ("12", -1, 12)],
)  # fmt: skip
def test_gpu_layers_setting(value: str, auto: int, expected: int) -> None:
    assert gpu_layers_setting(value, auto) == expected


def test_this_machine_is_detected() -> None:
    from app.catalog.hardware import detect

    hw = detect()
    assert hw.ram_total > 1 * GB and 0 < hw.ram_available <= hw.ram_total
    assert "CPU" in hw.build_backends
    if not hw.build_offload:
        assert hw.offload_gpu is None
