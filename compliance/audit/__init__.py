"""Audit receipts: one hash-chained record per decision, verified and replayed later."""
