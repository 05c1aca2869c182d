"""Denied-party screening: party names against the packs' party lists (Entity List, MOFCOM control list, ...)."""

from compliance.screening.index import PartyIndex, ScreenHit, normalize_name

__all__ = ["PartyIndex", "ScreenHit", "normalize_name"]
