"""Items classified by their customs tariff (HS) code, as ERP item masters carry one for every item.

China's item announcements print reference customs codes (参考海关商品编号) for each controlled item, and the
catalog carries them (``Product.hs_codes``). An item's ``hs_code`` is matched against them by prefix
(:meth:`compliance.packs.catalog.Catalog.hs_lookup`):

* it falls under exactly one product's **dedicated** line (``exact: true``, read in the exporter's nomenclature):
  the item is classified as that product, as if the order had named it;
* it is related to products' lines but cannot be pinned to one (a 6-digit heading such as 8112.92 covers
  gallium, germanium, indium, niobium and vanadium; a national line shared by several items; another country's
  national digits): ``engine.hs-candidates`` sends the line to review naming the candidate products and their
  controls, when one of those controls is in a pack that covers the line;
* it contradicts the product the order names: ``engine.classification-conflict``, as for an ECCN.

The codes are a reference, not the legal scope (the announcements' own word is 参考): a dedicated line classifies,
every broader line is a question for an officer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from compliance.evaluate.facts import Line
from compliance.evaluate.resolve import engine_finding
from compliance.evaluate.values import FindingValue
from compliance.models.pack import Product
from compliance.packs.catalog import Catalog

__all__ = ["HS_CANDIDATES", "HsFacts", "classify", "hs_findings"]

HS_CANDIDATES = "engine.hs-candidates"


@dataclass(frozen=True, slots=True)
class HsFacts:
    product: Product | None  # the product the code classifies the item as (only when the order names none)
    candidates: tuple[Product, ...]  # products the code relates to, when it classifies nothing
    conflict: str | None  # why the code contradicts the product the order names


_NOTHING = HsFacts(None, (), None)


def classify(catalog: Catalog, hs_code: str | None, named: Product | None, nomenclature: str) -> HsFacts:
    """What ``hs_code`` says about an item whose order names ``named`` (or no catalog product)."""
    if not hs_code:
        return _NOTHING
    found = catalog.hs_lookup(hs_code, nomenclature)
    if named is not None:
        if found.candidates and named.id not in found.candidates:
            names = ", ".join(catalog.products[p].name for p in found.candidates)
            return HsFacts(None, (), f"HS code {hs_code} is the tariff line of {names}, not of {named.name}")
        own = {h.code[:6] for h in named.hs_codes}
        if own and not found.candidates and hs_code[:6] not in own:
            return HsFacts(
                None, (), f"HS code {hs_code} is not among {named.name}'s tariff lines ({', '.join(sorted(own))})"
            )
        return _NOTHING
    if len(found.exact) == 1:
        return HsFacts(catalog.products[found.exact[0]], (), None)
    return HsFacts(None, tuple(catalog.products[p] for p in found.candidates), None)


def hs_findings(line: Line, covers: Callable[[Product], frozenset[str]]) -> list[FindingValue]:
    """Review findings for what the line's HS code could not settle; ``covers`` gives the packs a product would
    bring the line under (its scope as that product)."""
    out: list[FindingValue] = []
    item = line.item
    if line.hs_conflict is not None:
        out.append(
            engine_finding(
                "engine.classification-conflict",
                line.number,
                "Classification differs from catalog",
                f"Line {line.number}: {line.hs_conflict}. Confirm the classification (the product or the tariff "
                "code is wrong).",
            )
        )
    relevant = [p for p in line.hs_candidates if any(pack in covers(p) for pack in p.controls)]
    if relevant:
        what = "; ".join(f"{p.name} ({_controls(p)})" for p in relevant)
        out.append(
            engine_finding(
                HS_CANDIDATES,
                line.number,
                "Tariff code covers controlled items",
                f"Line {line.number}: HS code {item.hs_code} is broader than the controls (or shared by several "
                f"controlled items) and may be any of: {what}. Classify the item (give its catalog product or "
                "control number) before shipping.",
            )
        )
    return out


def _controls(product: Product) -> str:
    return ", ".join(f"{pack}: {c.code or 'code not confirmed'}" for pack, c in product.controls.items())
