"""Pydantic models: the public contract for transactions, rule packs and decisions."""

from compliance.models.decision import SCHEMA_VERSION, Decision, Finding, LineDecision, PackRef
from compliance.models.pack import Citation, Condition, PackMeta, Product, Rule
from compliance.models.transaction import Exporter, Item, License, Party, Transaction

__all__ = [
    "SCHEMA_VERSION",
    "Citation",
    "Condition",
    "Decision",
    "Exporter",
    "Finding",
    "Item",
    "License",
    "LineDecision",
    "PackMeta",
    "PackRef",
    "Party",
    "Product",
    "Rule",
    "Transaction",
]
