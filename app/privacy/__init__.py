"""Privacy: PII redaction (Presidio), the placeholder vault, and the network guard."""
