"""Models: GGUF inspection, the registry of local models, the embedded default."""
