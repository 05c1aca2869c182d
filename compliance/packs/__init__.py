"""Rule packs: read the YAML files, check them as a whole, and freeze them into a :class:`PackSet`.

``load`` reads and validates files (every problem, located), ``assemble`` joins them into packs and checks
references across files, ``packset`` is the frozen result the engine evaluates against, ``catalog`` the
product catalog with its aliases. Tools for pack authors (lint, cases, diff) live in ``compliance.authoring``.
"""

from compliance.packs.catalog import Catalog
from compliance.packs.files import ParsedFile
from compliance.packs.load import Collected, collect_packs, load_packs
from compliance.packs.packset import LoadedPack, PackRule, PackSet, PartyList

__all__ = [
    "Catalog",
    "Collected",
    "LoadedPack",
    "PackRule",
    "PackSet",
    "ParsedFile",
    "PartyList",
    "collect_packs",
    "load_packs",
]
