"""The `compliance` command: arguments -> library -> report -> exit code. No rule logic lives here.

Exit codes (worst wins over several files: error, deny, review, allow):
  0 allow / clean, 1 deny, 3 review, 2 bad input or usage, 4 rule-pack error.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from compliance import Engine, __version__, cases, lint, schema
from compliance import diff as packdiff
from compliance.errors import ComplianceError, ExitCode, InputError, PackError
from compliance.intake import load_transaction
from compliance.models.decision import Decision
from compliance.report import decision_to_dict, render_decision, render_packs
from compliance.report.junit import junit_cases, junit_problems
from compliance.report.sarif import sarif_json

EXIT_HELP = (
    "Exit codes: 0 allow / clean, 1 deny, 3 review, 2 bad input or usage, 4 rule-pack error (validate: a problem; "
    "test: a failing case); over several files the worst wins (error, deny, review, allow)."
)
_RANK = {ExitCode.ALLOW: 0, ExitCode.REVIEW: 1, ExitCode.DENY: 2, ExitCode.INPUT_ERROR: 3, ExitCode.PACK_ERROR: 4}
_OUTCOME_EXIT = {"allow": ExitCode.ALLOW, "deny": ExitCode.DENY, "review": ExitCode.REVIEW}


def default_rules() -> list[str]:
    here = Path("rules")
    return [str(here if here.is_dir() else Path(__file__).resolve().parent / "rules")]


def _worst(codes: list[ExitCode]) -> ExitCode:
    return max(codes, key=lambda c: _RANK[c], default=ExitCode.ALLOW)


def _problems(err: ComplianceError) -> None:
    for problem in err.problems:
        click.echo(problem.render(), err=True)


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def _load_engine(rules: tuple[str, ...], backend: str) -> Engine:
    try:
        return Engine.from_directory(*(rules or default_rules()), backend=backend)
    except PackError as err:
        _problems(err)
        click.echo(f"error: rule packs have {len(err.errors)} error(s); nothing was evaluated", err=True)
        sys.exit(ExitCode.PACK_ERROR)


rules_option = click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(),
    metavar="DIR",
    help="Rule pack directory (repeatable). Default: ./rules, else the bundled packs.",
)


@click.group(epilog=EXIT_HELP)
@click.version_option(__version__, prog_name="compliance")
def main() -> None:
    """Check proposed exports against export-control rule packs, with the law cited."""


@main.command(epilog=EXIT_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path())
@rules_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--as-of",
    callback=_iso_date,
    metavar="DATE",
    help="Evaluate as of this date instead of each transaction's own date.",
)
@click.option(
    "--backend",
    type=click.Choice(["durable", "reference"]),
    default="durable",
    show_default=True,
    help="Matching core; `reference` is the plain-Python oracle.",
)
def check(files: tuple[str, ...], rules: tuple[str, ...], fmt: str, as_of: dt.date | None, backend: str) -> None:
    """Decide allow / deny / review for each transaction FILE (YAML or JSON)."""
    engine = _load_engine(rules, backend)
    codes: list[ExitCode] = []
    results: list[dict[str, object]] = []
    for name in files:
        try:
            decision: Decision = engine.evaluate(load_transaction(name), as_of=as_of)
        except InputError as err:
            _problems(err)
            codes.append(ExitCode.INPUT_ERROR)
            results.append(
                {"source": name, "error": {"code": "input-error", "problems": [p.to_dict() for p in err.problems]}}
            )
            continue
        codes.append(_OUTCOME_EXIT[decision.decision])
        if fmt == "json":
            results.append(decision_to_dict(decision))
        else:
            click.echo(render_decision(decision, name))
            click.echo()
    if fmt == "json":
        payload: object = results[0] if len(files) == 1 and "error" not in results[0] else results
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    sys.exit(_worst(codes))


@main.command(epilog=EXIT_HELP)
@rules_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def packs(rules: tuple[str, ...], fmt: str) -> None:
    """List the loaded rule packs with versions and content hashes."""
    engine = _load_engine(rules, "reference")
    if fmt == "json":
        listing = [
            {
                "id": p.meta.id,
                "version": p.meta.version,
                "reviewed": str(p.meta.reviewed),
                "sha256": p.sha256,
                "rules": sum(1 for r in engine.packset.rules if r.pack == p.meta.id),
                "title": p.meta.title,
                "files": list(p.files),
            }
            for p in engine.packset.packs
        ]
        click.echo(json.dumps({"schema_version": "1", "packs": listing}, indent=2))
    else:
        click.echo(render_packs(engine.packset))


@main.command(epilog=EXIT_HELP)
@click.argument("paths", nargs=-1, type=click.Path(), metavar="[DIR|FILE]...")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 4), as CI should run it.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit"]), default="text", show_default=True
)
def validate(paths: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check rule packs and their test cases; report every problem as file:line:col: level code message.

    Problems go to stderr; stdout gets the summary (text) or the report (json, sarif, junit).
    Exit 0 when clean, 4 when there are errors (or warnings, with --strict).
    """
    report = lint.validate(list(paths) or default_rules())
    for problem in report.problems:
        click.echo(problem.render(), err=True)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "sarif":
        click.echo(sarif_json(report.problems, version=__version__))
    elif fmt == "junit":
        click.echo(junit_problems(report.problems, report.files, strict=strict), nl=False)
    else:
        code = report.exit_code(strict=strict)
        click.echo(f"{'ok' if code == ExitCode.ALLOW else 'failed'}: {report.summary()}")
    sys.exit(report.exit_code(strict=strict))


@main.command("test", epilog=EXIT_HELP)
@click.argument("dirs", nargs=-1, type=click.Path(), metavar="[DIR]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option(
    "--backend",
    type=click.Choice(["durable", "reference", "both"]),
    default="both",
    show_default=True,
    help="Run every case on this matcher, or on both (they must agree).",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Fail (exit 4) when fewer than PCT percent of the rules fire in some case.",
)
def test_cmd(dirs: tuple[str, ...], fmt: str, backend: str, min_coverage: float | None) -> None:
    """Run the test cases beside the rules (tests/*.yaml): PASS, FAIL, ERROR or SKIPPED per case and backend.

    Prints a diff of expected (-) against actual (+) under each failure, and the rules no case made fire.
    Exit 0 when every case passes, 4 on a failure, an error or coverage below --min-coverage.
    """
    backends = cases.BACKENDS if backend == "both" else (backend,)
    try:
        run = cases.run_suite(list(dirs) or default_rules(), backends)
    except PackError as err:
        _problems(err)
        click.echo(f"error: {len(err.errors)} problem(s) in the packs or their cases; no case was run", err=True)
        sys.exit(ExitCode.PACK_ERROR)
    if fmt == "json":
        click.echo(json.dumps(cases.to_dict(run), indent=2, ensure_ascii=False))
    elif fmt == "junit":
        click.echo(junit_cases(cases.to_junit(run), name="compliance test"), nl=False)
    else:
        click.echo(cases.render_text(run))
    low = min_coverage is not None and run.coverage < min_coverage
    if low:
        click.echo(f"error: rule coverage {run.coverage:.1f}% is below --min-coverage {min_coverage:g}%", err=True)
    sys.exit(ExitCode.ALLOW if run.ok and not low else ExitCode.PACK_ERROR)


@main.command("schema", epilog=EXIT_HELP)
@click.argument("name", type=click.Choice(schema.SCHEMA_NAMES), default="pack")
def schema_cmd(name: schema.SchemaName) -> None:
    """Print the JSON Schema of a file format (pack, transaction, decision, tests) for editors and CI.

    In a YAML file: `# yaml-language-server: $schema=<path or URL of the saved schema>`; see docs/ci.md.
    """
    click.echo(schema.schema_json(name), nl=False)


@main.command("diff", epilog=EXIT_HELP)
@click.argument("old_dir", type=click.Path())
@click.argument("new_dir", type=click.Path())
@click.option(
    "--corpus",
    required=True,
    type=click.Path(exists=True),
    metavar="DIR",
    help="Directory of transaction files (YAML or JSON) to evaluate under both versions.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--as-of", callback=_iso_date, metavar="DATE", help="Evaluate every transaction as of this date.")
@click.option("--backend", type=click.Choice(["durable", "reference"]), default="reference", show_default=True)
@click.option("--fail-on-change", is_flag=True, help="Exit 3 (review) when any transaction changed.")
def diff_cmd(
    old_dir: str, new_dir: str, corpus: str, fmt: str, as_of: dt.date | None, backend: str, fail_on_change: bool
) -> None:
    """Report every corpus transaction whose decision or findings differ between OLD_DIR and NEW_DIR packs.

    Grouped by rule: the impact of a pack change before it is merged. Exit 0 (changes are the result),
    3 with --fail-on-change when something changed, 2 when a corpus file is bad, 4 when a pack is.
    """
    try:
        report = packdiff.diff_corpus([old_dir], [new_dir], corpus, as_of=as_of, backend=backend)
    except PackError as err:
        _problems(err)
        sys.exit(ExitCode.PACK_ERROR)
    for problem in report.problems:
        click.echo(problem.render(), err=True)
    if fmt == "json":
        click.echo(json.dumps(packdiff.to_dict(report), indent=2, ensure_ascii=False))
    else:
        click.echo(packdiff.render_text(report))
    codes = [ExitCode.INPUT_ERROR] if report.problems else []
    codes += [ExitCode.REVIEW] if fail_on_change and report.changes else []
    sys.exit(_worst(codes))


if __name__ == "__main__":
    main()
