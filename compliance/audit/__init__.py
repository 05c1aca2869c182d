"""Audit receipts: one per input record, hash-chained in RFC 8785 canonical JSON, optionally MACed (HMAC-SHA256),
sealed per run; verified (``verify``), replayed (``replay``), resumed after a crash (``receipts``)."""
