"""Rendering one decision (or the pack listing): text for a compliance officer, JSON for programs.

Text puts the decision first, then why, with citations to look up. JSON has a stable key order and is
byte-identical for the same decision.
"""

from __future__ import annotations

import json
import textwrap

from compliance.models.decision import Decision, Finding, LineDecision, PartyMatch
from compliance.models.pack import Citation
from compliance.packs.packset import PackSet

__all__ = [
    "PACKS_SCHEMA_VERSION",
    "decision_json",
    "decision_to_dict",
    "line_header",
    "packs_listing",
    "render_decision",
    "render_packs",
]

# The schema version of `compliance packs --format json` (and the service's `GET /v1/packs`).
PACKS_SCHEMA_VERSION = "1"

_MARK = {"deny": "DENY  ", "review": "REVIEW", "allow": "ALLOW "}


def _cite(c: Citation) -> str:
    text = c.cite
    if c.title:
        text += f" - {c.title}"
    if c.date and c.date.isoformat() not in text:  # "Form 8-K filed 2025-04-15" already says when
        text += f" ({c.date})"
    if c.url:
        text += f" <{c.url}>"
    if c.secondary:
        text += " [secondary source]"
    return text


def line_header(ld: LineDecision) -> str:
    """``line 1 nvidia-h100 [us-ear:3A090.a]``: the line, its product and the control codes the rules used."""
    product = f" {ld.product}" if ld.product else ""
    # Parent paragraphs (`3A090` beside `3A090.a`) are what the rules match on, not what the line is.
    shown = [
        c
        for c in ld.control_codes
        if not any(d != c and d.startswith(c) and d[len(c)] in ".:" for d in ld.control_codes)
    ]
    codes = f" [{', '.join(shown)}]" if shown else ""
    return f"line {ld.line}{product}{codes}"


def _wrap(text: str, indent: int) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=100, initial_indent=" " * indent, subsequent_indent=" " * indent)


def _match(m: PartyMatch) -> list[str]:
    via = f" via {'weak ' if m.weak else ''}alias {m.matched_name!r}" if m.alias else ""
    where = "" if m.country_match else f" (party in {m.country}; entry lists {', '.join(m.entry_countries)})"
    out = [f"             match: {m.kind} {m.score:.2f} on {m.list} {m.entry!r}{via}{where}"]
    tokens = f"matched: {', '.join(m.matched_tokens) or '-'}; unmatched: {', '.join(m.unmatched_tokens) or '-'}"
    if m.unmatched_entry_tokens:
        tokens += f"; not in the party name: {', '.join(m.unmatched_entry_tokens)}"
    out.append(f"               compared {m.normalized_query!r} with {m.normalized_entry!r}; {tokens}")
    out.append(
        f"               entry sha256 {m.entry_sha256[:16]}" + (f"; cleared by {m.clearance}" if m.clearance else "")
    )
    return out


def _finding(f: Finding) -> list[str]:
    head = f"    {_MARK[f.outcome]} {f.rule_id}: {f.title}"
    out = [head]
    if f.party:
        out.append(f"             party: {f.party}")
    if f.match is not None:
        out += _match(f.match)
    if f.license:
        out.append(f"             licence on file: {f.license}")
    out += _wrap(f.message, 13)
    out += [f"             cite: {_cite(c)}" for c in f.citations]
    if f.note:
        out += _wrap(f"note: {f.note}", 13)
    if f.remedy is not None:
        out += _wrap(f"remedy ({f.remedy.kind}): {f.remedy.text}", 13)
    return out


def render_decision(decision: Decision, source: str | None = None) -> str:
    name = f"{source}: " if source else ""
    lines = [f"{name}{decision.decision.upper()}  transaction {decision.transaction_id} as of {decision.as_of}"]
    shared = [f for f in decision.findings if f.line is None]
    if shared:
        lines.append("  whole transaction")
        for f in shared:
            lines += _finding(f)
    for ld in decision.lines:
        lines.append(f"  {line_header(ld)}: {ld.decision.upper()}")
        for norm in ld.normalized:
            lines.append(f"    read {norm.field} {norm.given!r} as {norm.used!r} (letter case, full width, spaces)")
        line_findings = [f for f in decision.findings if f.line == ld.line]
        if not line_findings:
            lines.append("    no rule applies")
        for f in line_findings:
            lines += _finding(f)
    for n in decision.notices:
        lines.append(f"  NOTICE {n.code} ({n.pack}, reviewed {n.reviewed}):")
        lines += _wrap(n.message, 4)
    packs = ", ".join(f"{p.id} {p.version} ({p.sha256[:12]})" for p in decision.rule_packs)
    lines.append(f"  packs: {packs}; engine {decision.engine_version}")
    return "\n".join(lines)


def render_packs(packset: PackSet) -> str:
    rows = [("PACK", "VERSION", "REVIEWED", "RULES", "SHA256", "TITLE")]
    for p in packset.packs:
        count = sum(1 for r in packset.rules if r.pack == p.meta.id)
        rows.append((p.meta.id, p.meta.version, str(p.meta.reviewed), str(count), p.sha256[:16], p.meta.title))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5] for r in rows)


def decision_to_dict(decision: Decision) -> dict[str, object]:
    return decision.model_dump(mode="json", warnings=False)


def decision_json(decision: Decision, *, indent: int | None = 2) -> str:
    return json.dumps(decision_to_dict(decision), indent=indent, ensure_ascii=False)


def packs_listing(packset: PackSet) -> dict[str, object]:
    """The loaded packs as data: what ``compliance packs --format json`` prints."""
    listing = [
        {
            "id": p.meta.id,
            "version": p.meta.version,
            "reviewed": str(p.meta.reviewed),
            "sha256": p.sha256,
            "rules": sum(1 for r in packset.rules if r.pack == p.meta.id),
            "title": p.meta.title,
            "files": list(p.files),
        }
        for p in packset.packs
    ]
    return {"schema_version": PACKS_SCHEMA_VERSION, "packs": listing}
