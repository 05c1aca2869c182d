"""The case file: one or many decisions as a self-contained, printable HTML page (``--format html``).

Self-contained: inline CSS, no scripts, no remote fonts, images or style sheets, so the file can be attached to
an order, archived and opened offline years later, and prints as it shows. Every value is HTML-escaped; only
``http``/``https`` citation urls become links (a pack cannot smuggle a ``javascript:`` link into a case file).
Same decisions in, same bytes out: nothing here reads the clock.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from compliance.io.render import line_header
from compliance.models.decision import Decision, Finding, LineDecision, Remedy
from compliance.models.pack import Citation

__all__ = ["CaseEntry", "case_entries", "render_case_file"]

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 "DejaVu Sans",Helvetica,Arial,sans-serif;color:#111;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #333;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}h4{font-size:14px;margin:0 0 4px}
.sub{color:#444;margin:0 0 12px}
table{border-collapse:collapse;width:100%;margin:4px 0 10px}
th,td{border:1px solid #bbb;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eee}
code{font:12px/1.3 "DejaVu Sans Mono",Menlo,Consolas,monospace}
.badge{display:inline-block;font-weight:bold;padding:1px 8px;border-radius:3px;border:1px solid #000;
 font-size:12px;letter-spacing:.05em}
.deny .badge,.badge.deny{background:#b00020;color:#fff}
.review .badge,.badge.review{background:#f2c200;color:#000}
.allow .badge,.badge.allow{background:#1b7f3b;color:#fff}
.finding{border:1px solid #999;border-left:6px solid #999;padding:8px 10px;margin:8px 0;page-break-inside:avoid}
.finding.deny{border-left-color:#b00020}.finding.review{border-left-color:#f2c200}
.finding.allow{border-left-color:#1b7f3b}
.where{color:#444;margin:0 0 4px}
.remedy{background:#f4f7fb;border:1px dashed #567;padding:6px 8px;margin:6px 0}
.remedy table{width:auto}
.cites{margin:4px 0;padding-left:18px}
.secondary{font-style:italic;color:#8a4b00}
.note{color:#333;font-size:13px}
.packs td:last-child{font:11px "DejaVu Sans Mono",monospace;word-break:break-all}
.error{border:2px solid #b00020;padding:8px}
footer{margin-top:28px;border-top:1px solid #999;padding-top:6px;color:#444;font-size:12px}
@media print{body{margin:0;max-width:none}a{color:#000}h2{page-break-before:auto}
 .decision+.decision{page-break-before:always}}
"""


@dataclass(frozen=True, slots=True)
class CaseEntry:
    """One record of the case file: its source and a decision, or the problems that kept it from one."""

    source: str | None
    record: int | None
    decision: Decision | None
    problems: tuple[str, ...] = ()
    receipt: str | None = None  # hash of the record's audit receipt, when audited


def case_entries(collected: Sequence[object]) -> list[CaseEntry]:
    """The writer's collected ``--format html`` records (see ``compliance.io.writers.render``) as entries."""
    out: list[CaseEntry] = []
    for item in collected:
        if not isinstance(item, dict):
            continue
        source, record, decision = item.get("source"), item.get("record"), item.get("decision")
        problems = tuple(str(p) for p in item.get("problems", ()))
        receipt = item.get("receipt")
        out.append(
            CaseEntry(
                source if isinstance(source, str) else None,
                record if isinstance(record, int) else None,
                decision if isinstance(decision, Decision) else None,
                problems,
                receipt if isinstance(receipt, str) else None,
            )
        )
    return out


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _link(c: Citation) -> str:
    text = _e(c.cite)
    if c.url and c.url.startswith(("https://", "http://")):
        text = f'<a href="{_e(c.url)}">{text}</a>'
    if c.title:
        text += f" &mdash; {_e(c.title)}"
    if c.date and c.date.isoformat() not in f"{c.cite} {c.title or ''}":
        text += f" ({_e(c.date)})"
    if c.secondary:
        text += ' <span class="secondary">[secondary source]</span>'
    return f"<li>{text}</li>"


def _remedy(r: Remedy) -> str:
    out = [f'<div class="remedy"><strong>Remedy ({_e(r.kind)})</strong>: {_e(r.text)}']
    if r.license is not None:
        rows = []
        for key, value in r.license.model_dump(mode="json").items():
            if value is None:
                continue
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            rows.append(f"<tr><th>{_e(key)}</th><td>{_e(shown)}</td></tr>")
        out.append(f"<table><caption>Licence that would cover it</caption>{''.join(rows)}</table>")
    if r.fields:
        out.append(f"<p>Give: {', '.join(f'<code>{_e(f)}</code>' for f in r.fields)}</p>")
    out.append("</div>")
    return "".join(out)


def _finding(f: Finding) -> str:
    where = [f"line {f.line}" if f.line is not None else "whole transaction"]
    if f.party:
        where.append(f"party: {_e(f.party)}")
    if f.license:
        where.append(f"licence on file: {_e(f.license)}")
    if f.authority:
        where.append(f"authority: {_e(f.authority)}")
    if f.review_policy:
        where.append(f"review policy: {_e(f.review_policy)}")
    parts = [
        f'<article class="finding {_e(f.outcome)}">',
        f'<h4><span class="badge">{_e(f.outcome.upper())}</span> {_e(f.title)} <code>{_e(f.rule_id)}</code></h4>',
        f'<p class="where">{" &middot; ".join(where)}</p>',
        f"<p>{_e(' '.join(f.message.split()))}</p>",
    ]
    if f.match is not None:
        m = f.match
        parts.append(
            f'<p class="where">match: {_e(m.kind)} {m.score:.2f} on {_e(m.list)} &ldquo;{_e(m.entry)}&rdquo; '
            f"(compared &ldquo;{_e(m.normalized_query)}&rdquo; with &ldquo;{_e(m.normalized_entry)}&rdquo;)</p>"
        )
    if f.remedy is not None:
        parts.append(_remedy(f.remedy))
    if f.citations:
        parts.append(f'<ul class="cites">{"".join(_link(c) for c in f.citations)}</ul>')
    if f.note:
        parts.append(f'<p class="note"><strong>Note:</strong> {_e(" ".join(f.note.split()))}</p>')
    parts.append("</article>")
    return "".join(parts)


def _label(ld: LineDecision) -> str:
    """The line header without its `line N` (product and control codes), as in text output."""
    return line_header(ld).removeprefix(f"line {ld.line}").strip() or "(no catalog product, no control code)"


def _decision(entry: CaseEntry, d: Decision) -> str:
    src = f" &middot; {_e(entry.source)}" if entry.source else ""
    receipt = f" &middot; audit receipt <code>{_e(entry.receipt)}</code>" if entry.receipt else ""
    out = [
        f'<section class="decision {_e(d.decision)}">',
        f'<h2><span class="badge">{_e(d.decision.upper())}</span> Transaction {_e(d.transaction_id)}</h2>',
        f'<p class="sub">as of {_e(d.as_of)}{src} &middot; schema {_e(d.schema_version)}{receipt}</p>',
        "<h3>Lines</h3><table><tr><th>Line</th><th>Product and control codes</th><th>Decision</th></tr>",
    ]
    for ld in d.lines:
        out.append(
            f"<tr><td>{ld.line}</td><td><code>{_e(_label(ld))}</code></td>"
            f'<td class="{_e(ld.decision)}"><span class="badge">{_e(ld.decision.upper())}</span></td></tr>'
        )
    out.append("</table>")
    out.append(f"<h3>Findings ({len(d.findings)})</h3>")
    out += [_finding(f) for f in d.findings] or ["<p>No rule applies.</p>"]
    if d.notices:
        out.append("<h3>Notices</h3><ul>")
        out += [
            f"<li><strong>{_e(n.code)}</strong> ({_e(n.pack)}, reviewed {_e(n.reviewed)}): {_e(n.message)}</li>"
            for n in d.notices
        ]
        out.append("</ul>")
    out.append('<h3>Rule packs</h3><table class="packs"><tr><th>Pack</th><th>Version</th><th>sha256</th></tr>')
    out += [f"<tr><td>{_e(p.id)}</td><td>{_e(p.version)}</td><td>{_e(p.sha256)}</td></tr>" for p in d.rule_packs]
    out.append(f'</table><p class="sub">engine {_e(d.engine_version)}</p></section>')
    return "".join(out)


def render_case_file(entries: Sequence[CaseEntry], *, audit: str | None = None) -> str:
    """The case file of ``entries`` (in order); ``audit``: what the audit log says of the run (its seal's hash)."""
    decided = [e.decision for e in entries if e.decision is not None]
    ids = ", ".join(d.transaction_id for d in decided[:3]) + (" ..." if len(decided) > 3 else "")
    counts = {o: sum(1 for d in decided if d.decision == o) for o in ("deny", "review", "allow")}
    summary = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
    errors = len(entries) - len(decided)
    if errors:
        summary += f"{', ' if summary else ''}{errors} not decided"
    body = [
        "<header><h1>Export compliance case file</h1>",
        f'<p class="sub">{len(entries)} record(s): {_e(summary or "none")}. A screening aid, not legal advice; '
        "every finding cites the law behind it and says what would resolve it.</p></header>",
    ]
    for entry in entries:
        if entry.decision is not None:
            body.append(_decision(entry, entry.decision))
        else:
            where = f"{entry.source or '<input>'}" + (f", record {entry.record}" if entry.record else "")
            items = "".join(f"<li>{_e(p)}</li>" for p in entry.problems)
            body.append(f'<section class="decision error"><h2>Not decided: {_e(where)}</h2><ul>{items}</ul></section>')
    if audit:
        body.append(f"<footer>{_e(audit)}</footer>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Case file: {_e(ids or 'no decisions')}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
