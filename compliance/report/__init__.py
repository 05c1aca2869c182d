"""Renderers: a decision (or a pack listing) as text for people or JSON for programs."""

from compliance.report.json import decision_json, decision_to_dict
from compliance.report.text import render_decision, render_packs

__all__ = ["decision_json", "decision_to_dict", "render_decision", "render_packs"]
