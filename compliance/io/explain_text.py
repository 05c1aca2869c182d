"""Rendering an explanation (``compliance check --explain``) as text for an officer; JSON is the model's dump."""

from __future__ import annotations

import textwrap

from compliance.io.render import line_header
from compliance.models.decision import LineDecision
from compliance.models.explain import Explanation

__all__ = ["render_explanation"]


def _wrap(text: str, indent: int) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()), width=110, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2)
    )


def render_explanation(ex: Explanation, source: str | None = None) -> str:
    name = f"{source}: " if source else ""
    out = [
        f"{name}{ex.decision.decision.upper()}  transaction {ex.transaction_id} as of {ex.as_of} "
        f"(conditions traced with the {ex.matcher} matcher)"
    ]
    for line in ex.lines:
        ld = LineDecision(
            line=line.line, decision=line.decision, product=line.product, control_codes=line.control_codes
        )
        out.append(f"  {line_header(ld)}: {line.decision.upper()}")
        out.append(f"    packs in scope: {', '.join(line.packs_in_scope) or 'none'}")
        for t in line.rules:
            if t.status == "fired":
                out += _wrap(f"FIRED   {t.rule_id} ({t.effect}) -> {t.outcome or '?'}", 4)
                for lic in t.licenses:
                    why = f": {lic.reason}" if lic.reason else ""
                    out += _wrap(f"licence {lic.license}: {lic.status}{why}", 14)
                if t.effect == "license_required" and not t.licenses:
                    out.append("              no licence on file")
            else:
                out += _wrap(f"no      {t.rule_id}: {t.failed}", 4)
        for check in line.engine_checks:
            out.append(f"    ENGINE  {check}")
    return "\n".join(out)
