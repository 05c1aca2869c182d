"""The product catalog: ids, aliases matched loosely, control codes per jurisdiction and specs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compliance.models.pack import Product

__all__ = ["Catalog", "HsLookup", "code_ancestors", "normalize_alias"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_alias(text: str) -> str:
    """`NVIDIA H20`, `nvidia-h20`, `Nvidia_H20` and its full-width form (U+FF2E ...) all normalise to `nvidiah20`.

    NFKC first: an ERP export in a CJK locale types product names in full-width forms, which the ASCII filter
    would otherwise erase (leaving an unclassified line instead of the product it names). Look-alike letters
    of other scripts are not folded: they stay unknown, and an unknown line is review.
    """
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKC", text).casefold())


def code_ancestors(code: str) -> tuple[str, ...]:
    """`3A090.a.1` -> (`3A090.a.1`, `3A090.a`, `3A090`): a rule on a parent paragraph covers its children."""
    parts = code.split(".")
    return tuple(".".join(parts[:i]) for i in range(len(parts), 0, -1))


@dataclass(frozen=True, slots=True)
class HsLookup:
    """What a customs tariff code says about an item, against the catalog's HS codes.

    ``exact``: products whose dedicated tariff line the code falls under (one product: the item is classified as it).
    ``candidates``: every product the code is related to, either way (the code falls under a broader line of the
    product, or the code is a heading broader than the product's line): the controls the item may be under.
    """

    exact: tuple[str, ...]
    candidates: tuple[str, ...]


_NO_HS = HsLookup((), ())


@dataclass(frozen=True, slots=True)
class Catalog:
    products: Mapping[str, Product]
    aliases: Mapping[str, str]  # normalised alias -> product id
    hs: tuple[tuple[str, str, bool, str], ...] = ()  # (digits, nomenclature country or "", exact, product id)

    @classmethod
    def build(cls, products: Iterable[Product]) -> Catalog:
        by_id: dict[str, Product] = {}
        aliases: dict[str, str] = {}
        hs: list[tuple[str, str, bool, str]] = []
        for product in products:
            by_id[product.id] = product
            for alias in cls.alias_keys(product):
                aliases.setdefault(alias, product.id)
            hs.extend((h.code, h.country or "", h.exact, product.id) for h in product.hs_codes)
        return cls(by_id, aliases, tuple(hs))

    def hs_lookup(self, digits: str, nomenclature: str) -> HsLookup:
        """The products a tariff code ``digits`` (read in ``nomenclature``'s national digits) relates to.

        Matching is by prefix. National digits (after the sixth) mean something only in their own country's
        nomenclature: against another country's code, or when the item's nomenclature is not known
        (``nomenclature`` empty), only the 6-digit HS subheading is compared, and a match is only a candidate.
        """
        exact: list[str] = []
        related: list[str] = []
        for code, country, dedicated, product_id in self.hs:
            if len(code) > 6 and country != nomenclature:
                if digits[:6] == code[:6]:
                    related.append(product_id)
                continue
            if digits.startswith(code):
                related.append(product_id)
                if dedicated:
                    exact.append(product_id)
            elif code.startswith(digits):
                related.append(product_id)
        if not related:
            return _NO_HS
        return HsLookup(tuple(dict.fromkeys(exact)), tuple(dict.fromkeys(related)))

    @staticmethod
    def alias_keys(product: Product) -> list[str]:
        names = [product.id, product.name, *product.aliases]
        keys = [normalize_alias(n) for n in names]
        maker = normalize_alias(product.manufacturer)
        keys += [maker + k for k in keys if not k.startswith(maker)]
        return [k for k in dict.fromkeys(keys) if k]

    def resolve(self, text: str) -> Product | None:
        product_id = self.aliases.get(normalize_alias(text))
        return self.products[product_id] if product_id else None
