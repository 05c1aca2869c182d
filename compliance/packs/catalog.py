"""The product catalog: ids, aliases matched loosely, control codes per jurisdiction and specs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compliance.models.pack import Product

__all__ = ["Catalog", "code_ancestors", "normalize_alias"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_alias(text: str) -> str:
    """`NVIDIA H20`, `nvidia-h20` and `Nvidia_H20` all normalise to `nvidiah20`."""
    return _NON_ALNUM.sub("", text.casefold())


def code_ancestors(code: str) -> tuple[str, ...]:
    """`3A090.a.1` -> (`3A090.a.1`, `3A090.a`, `3A090`): a rule on a parent paragraph covers its children."""
    parts = code.split(".")
    return tuple(".".join(parts[:i]) for i in range(len(parts), 0, -1))


@dataclass(frozen=True, slots=True)
class Catalog:
    products: Mapping[str, Product]
    aliases: Mapping[str, str]  # normalised alias -> product id

    @classmethod
    def build(cls, products: Iterable[Product]) -> Catalog:
        by_id: dict[str, Product] = {}
        aliases: dict[str, str] = {}
        for product in products:
            by_id[product.id] = product
            for alias in cls.alias_keys(product):
                aliases.setdefault(alias, product.id)
        return cls(by_id, aliases)

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
