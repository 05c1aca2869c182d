"""Evaluation: a transaction and a frozen pack set in, a cited decision out.

``enrich`` turns the transaction into typed per-line facts (group membership, listings, catalog product and
control codes resolved with sets and dicts); ``match`` finds the rules whose conditions hold (durable-rules,
or the plain-Python reference); ``resolve`` turns the rules that applied into findings and decisions;
``engine`` ties the steps together. Everything below the ``Engine`` is pure: no I/O, clock or environment.
"""
