"""Controlled materials as families: an element and the forms of it an announcement lists, each a catalog product.

MOFCOM's item announcements list materials element by element, form by form ("gallium-related items: metallic
gallium, gallium nitride, gallium oxide, ..."; "samarium: metal, alloys, targets, oxide and its mixtures,
compounds and their mixtures"). A ``kind: materials`` file writes them that way, and each form becomes an ordinary
catalog product with:

* id ``<element>-<form>`` (spaces as hyphens) unless the form names its own (existing ids such as
  ``gallium-metal`` stay valid);
* name ``<Element> <form>`` unless given; aliases: the form's own, its formula (``GaN``) and
  ``<symbol> <form>`` (``Dy metal``, ``Sm oxide``; not when the form already names the element), so an order may
  say any of them;
* the family's tags and controls, with the form's added (a form's control for a pack replaces the family's);
* the form's HS codes.

Products built here are checked like the catalog's own (unique ids, no alias shared by two products).
"""

from __future__ import annotations

from compliance.models.pack import MaterialFamily, MaterialForm, Product

__all__ = ["family_products", "form_id"]


def form_id(family: MaterialFamily, form: MaterialForm) -> str:
    return form.id or f"{family.element}-{form.form.replace(' ', '-')}"


def _product(family: MaterialFamily, form: MaterialForm) -> Product:
    element = family.element.capitalize()
    name = form.name or f"{element} {form.form}"
    aliases = [*form.aliases]
    if form.formula:
        aliases.append(form.formula)
    if family.element not in form.form:  # `Ga indium gallium arsenide` would help nobody
        aliases.append(f"{family.symbol} {form.form}")
    controls = {**family.controls, **form.controls}
    notes = [n for n in (family.note, form.note) if n]
    return Product(
        id=form_id(family, form),
        name=name,
        manufacturer="various",
        aliases=list(dict.fromkeys(a for a in aliases if a.casefold() != name.casefold())),
        tags=list(dict.fromkeys([*family.tags, *form.tags])),
        controls=controls,
        specs={},
        note=" ".join(notes) or None,
        hs_codes=list(form.hs_codes),
    )


def family_products(family: MaterialFamily) -> list[tuple[int, Product]]:
    """``(index of the form, product)`` for each form of ``family``."""
    return [(j, _product(family, form)) for j, form in enumerate(family.forms)]
