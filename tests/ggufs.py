"""Tiny but valid GGUF files for tests, written with the official ``gguf`` package."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def tiny_gguf(path: Path, arch: str = "llama", tensor_values: int = 4096) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), arch=arch)
    writer.add_name("tiny test model")
    writer.add_context_length(256)
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_tensor("token_embd.weight", np.arange(tensor_values, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
