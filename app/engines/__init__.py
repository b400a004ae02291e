"""Inference engines behind one small Protocol (see :mod:`app.engines.base`)."""
