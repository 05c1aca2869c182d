"""Denied-party screening: party names against the packs' party lists (Entity List, MOFCOM control list, ...).

``normalize`` folds names, ``index`` looks them up (equivalent forms, weak aliases, fuzzy candidates),
``score`` says how similar two names are, ``explain`` says why, ``clearances`` holds an officer's cleared
possible matches, ``csl`` reads the trade.gov Consolidated Screening List.
"""

from compliance.screening.index import PartyIndex, ScreenHit, entry_sha256, normalize_name

__all__ = ["PartyIndex", "ScreenHit", "entry_sha256", "normalize_name"]
