"""Operate: the physical reserve (facilities, lots, an append-only hash-chained ledger)."""
