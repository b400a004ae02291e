"""Hearth: a privacy-first desktop AI assistant."""
