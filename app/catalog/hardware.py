"""What this computer has for running models: RAM, CPU features, GPUs and VRAM.

NVIDIA GPUs are read through the driver's own NVML library when it is
installed (no extra package); Apple Silicon shares RAM with its GPU (Metal).
What the installed llama.cpp build can offload comes from llama.cpp itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger("hearth.hardware")


@dataclass(frozen=True)
class GPU:
    name: str
    backend: str  # "cuda" | "metal"
    vram_total: int
    vram_free: int


@dataclass(frozen=True)
class Hardware:
    ram_total: int
    ram_available: int
    cpu: str
    cpu_features: list[str]
    apple_silicon: bool
    gpus: list[GPU] = field(default_factory=list)
    build_offload: bool = False  # the llama.cpp build can put layers on a GPU
    build_backends: list[str] = field(default_factory=list)

    @property
    def offload_gpu(self) -> GPU | None:
        """The GPU llama.cpp would use, if the build can offload to it."""
        if not self.build_offload:
            return None
        return max(self.gpus, key=lambda g: g.vram_total, default=None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["offload_gpu"] = asdict(self.offload_gpu) if self.offload_gpu else None
        return data


def nvidia_gpus() -> list[GPU]:
    """NVIDIA GPUs through NVML (``libnvidia-ml``), if the driver is installed."""
    names = ["nvml.dll"] if sys.platform == "win32" else ["libnvidia-ml.so.1", "libnvidia-ml.so"]
    found = ctypes.util.find_library("nvidia-ml")
    if found:
        names.append(found)
    lib = None
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        return []

    class Memory(ctypes.Structure):
        _fields_ = [
            ("total", ctypes.c_ulonglong),
            ("free", ctypes.c_ulonglong),
            ("used", ctypes.c_ulonglong),
        ]

    gpus: list[GPU] = []
    try:
        if lib.nvmlInit_v2() != 0:
            return []
        count = ctypes.c_uint()
        if lib.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
            return []
        for i in range(count.value):
            handle = ctypes.c_void_p()
            if lib.nvmlDeviceGetHandleByIndex_v2(i, ctypes.byref(handle)) != 0:
                continue
            raw = ctypes.create_string_buffer(96)
            lib.nvmlDeviceGetName(handle, raw, 96)
            mem = Memory()
            if lib.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(mem)) != 0:
                continue
            gpus.append(GPU(raw.value.decode(errors="replace"), "cuda", mem.total, mem.free))
        lib.nvmlShutdown()
    except (AttributeError, OSError) as exc:
        log.info("NVML query failed: %s", exc)
    return gpus


def _build() -> tuple[bool, list[str], list[str]]:
    from app.engines.llamacpp import build_info

    info = build_info()
    system = str(info.get("system_info", ""))
    features = sorted(
        {part.split("=")[0].strip() for part in system.split("|") if part.strip().endswith("= 1")}
    )
    backends = ["CPU"]
    for name in ("CUDA", "METAL", "VULKAN", "HIP", "SYCL"):
        if name in system.upper():
            backends.append(name.title() if name != "CUDA" else "CUDA")
    return bool(info.get("gpu_offload")), features, backends


def detect() -> Hardware:
    import psutil

    mem = psutil.virtual_memory()
    apple = sys.platform == "darwin" and platform.machine() == "arm64"
    offload, features, backends = _build()
    gpus = nvidia_gpus()
    if apple:  # unified memory: Metal can use most of it
        gpus.append(GPU("Apple Silicon GPU", "metal", int(mem.total * 0.75), int(mem.available)))
    return Hardware(
        ram_total=int(mem.total),
        ram_available=int(mem.available),
        cpu=platform.processor() or platform.machine(),
        cpu_features=features,
        apple_silicon=apple,
        gpus=gpus,
        build_offload=offload,
        build_backends=backends,
    )
