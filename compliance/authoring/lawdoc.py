"""docs/law.md, generated from the packs and a file of hand-written notes, so the table never drifts from the rules.

From the packs: every rule's id, title, effect, citations and window, with each unconfirmed scheduled date marked
and listed with its rule's note. From the notes file (``docs/law-notes.yaml``): the confidence of each rule and the
prose sections (what changed, what is unconfirmed beyond the dates, the data, what is not modelled). A rule without
a confidence entry is an error: a new rule is documented when it is added.

    python -m compliance.authoring.lawdoc rules docs/law-notes.yaml > docs/law.md
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from compliance.errors import Location, PackError, Problem
from compliance.models.pack import LicenseRule, Rule
from compliance.packs.load import load_packs
from compliance.packs.packset import PackSet
from compliance.source import load_document

__all__ = ["render", "render_from"]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _window(rule: Rule) -> str:
    start = f"{rule.effective_from}" + ("" if rule.effective_from_confirmed else " (unconfirmed)")
    end = "open" if rule.effective_to is None else f"{rule.effective_to}"
    if not rule.effective_to_confirmed:
        end += " (unconfirmed)"
    return f"{start} .. {end}"


def _effect(rule: Rule) -> str:
    return f"license_required ({rule.authority})" if isinstance(rule, LicenseRule) else rule.effect


def _bullets(items: object) -> list[str]:
    """A notes section (a list of strings) as Markdown bullets; anything else is an empty section."""
    values: Sequence[object] = items if isinstance(items, list) else []
    return [f"- {' '.join(str(i).split())}" for i in values]


def render(packset: PackSet, notes: Mapping[str, object], notes_name: str = "docs/law-notes.yaml") -> str:
    """The whole of docs/law.md."""
    confidence = notes.get("confidence")
    if not isinstance(confidence, dict):
        raise PackError([Problem(Location(notes_name), "missing-field", "`confidence:` must map rule ids to text")])
    missing = [pr for pr in packset.rules if pr.rule.id not in confidence]
    if missing:
        raise PackError(
            [
                Problem(pr.location, "undocumented-rule", f"rule {pr.rule.id!r} has no confidence in {notes_name}")
                for pr in missing
            ]
        )
    versions = ", ".join(f"{p.meta.id} {p.meta.version}" for p in packset.packs)
    reviewed = sorted({str(p.meta.reviewed) for p in packset.packs if any(r.pack == p.meta.id for r in packset.rules)})
    out = ["# The law behind the bundled rule packs", ""]
    out += [
        " ".join(str(notes.get("intro", "")).split())
        + f" Packs with rules were reviewed against the sources each rule cites on {', '.join(reviewed)} ({versions}).",
        "",
    ]
    out += ["## Changed since 0.2.0", "", *_bullets(notes.get("changed")), ""]
    out += [
        "## Rules",
        "",
        "| rule id | law | effect | citations | in force | confidence / notes |",
        "|---|---|---|---|---|---|",
    ]
    for pr in sorted(packset.rules, key=lambda r: (r.pack, str(r.location.file), r.location.line)):
        rule = pr.rule
        cites = "; ".join(_cell(c.cite) for c in rule.citations)
        out.append(
            f"| `{rule.id}` | {_cell(rule.title)} | {_effect(rule)} | {cites} | {_window(rule)} | "
            f"{_cell(str(confidence[rule.id]))} |"
        )
    out += [
        "",
        "## Unconfirmed",
        "",
        "Scheduled dates the review could not confirm (a decision that depends on one is review):",
        "",
    ]
    for pr in sorted(packset.rules, key=lambda r: r.rule.id):
        rule = pr.rule
        dates = []
        if not rule.effective_from_confirmed:
            dates.append(f"starts {rule.effective_from}")
        if not rule.effective_to_confirmed:
            dates.append(f"ends {rule.effective_to}")
        if dates:
            out.append(f"- `{rule.id}` {' and '.join(dates)}: {_cell(rule.note or '')}")
    out += ["", "Other facts that could not be confirmed:", "", *_bullets(notes.get("unconfirmed")), ""]
    out += ["## Data the rules use", "", *_bullets(notes.get("data")), ""]
    out += ["## Not modelled", "", *_bullets(notes.get("not_modelled"))]
    return "\n".join(out) + "\n"


def render_from(rules: str | Path, notes: str | Path) -> str:
    doc = load_document(Path(notes))
    if not isinstance(doc.data, dict):
        raise PackError([Problem(Location(str(notes)), "wrong-type", "the notes file must be a mapping")])
    return render(load_packs([rules]), doc.data, str(notes))


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    sys.stdout.write(render_from(sys.argv[1], sys.argv[2]))
