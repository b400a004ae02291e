"""Costs: the cloud price table, usage accounting, and the self-host break-even."""
