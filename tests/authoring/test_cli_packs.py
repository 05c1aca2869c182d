"""CLI tests for validate, test, schema and diff: exit code, stdout and stderr checked separately."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[2]
FIX = Path("tests/fixtures")


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # locations in output are relative to the repository


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_validate_bundled_packs_strict_is_clean() -> None:
    code, out, err = run("validate", "--strict", "rules")
    assert (code, err) == (0, "")
    assert out.startswith("ok: ") and "0 error(s), 0 warning(s)" in out


def test_validate_broken_copy_reports_every_problem_in_one_run() -> None:
    code, out, err = run("validate", str(FIX / "broken-bundled"))
    assert code == 4
    assert out.startswith("failed: ") and "5 error(s)" in out
    base = "tests/fixtures/broken-bundled/"
    heads = [line for line in err.splitlines() if not line.startswith("  help:")]
    assert heads == [
        f"{base}cn-mofcom/gallium-germanium.yaml:11:19: error inverted-window rules.0: effective_to 2023-07-31 is "
        "before effective_from 2023-08-01",
        f"{base}us-ear/advanced-computing.yaml:8:5: error unknown-key rules.0.reveiw_policy: unknown key "
        "'reveiw_policy'",
        f"{base}us-ear/advanced-computing.yaml:12:42: error unknown-country-group destination_groups: unknown "
        "country group 'D:15'",
        f"{base}us-ear/advanced-computing.yaml:47:5: error missing-citation rules.2.citations: every rule and data "
        "record cites the law behind it",
        f"{base}us-ear/entity-list-rules.yaml:4:9: error duplicate-rule-id rule id 'us-ear.ac.h20-mi308-license' is "
        f"already used at {base}us-ear/advanced-computing.yaml:23:9",
    ]
    assert "  help: did you mean 'review_policy'?" in err.splitlines()
    assert "  help: did you mean 'D:5'?" in err.splitlines()


def test_validate_warnings_fail_only_with_strict() -> None:
    path = str(FIX / "packs" / "shadowed-rule")
    assert run("validate", path)[0] == 0
    code, _out, err = run("validate", "--strict", path)
    assert code == 4 and "warning shadowed-rule" in err


def test_validate_json() -> None:
    code, out, err = run("validate", "--format", "json", str(FIX / "packs" / "unknown-key"))
    assert code == 4 and "unknown-key" in err
    data = json.loads(out)
    assert data["schema_version"] == "1"
    assert data["summary"]["errors"] == 1
    (problem,) = data["problems"]
    assert (problem["line"], problem["col"], problem["code"], problem["help"]) == (
        10,
        5,
        "unknown-key",
        "did you mean 'note'?",
    )


def test_validate_sarif_has_both_locations() -> None:
    code, out, _err = run("validate", "--format", "sarif", str(FIX / "packs" / "shadowed-rule"))
    assert code == 0
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "shadowed-rule" and result["level"] == "warning"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (13, 9)
    related = result["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "tests/fixtures/packs/shadowed-rule/rules.yaml"
    assert related["region"]["startLine"] == 4
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == ["shadowed-rule"]


def test_validate_junit() -> None:
    code, out, _err = run("validate", "--format", "junit", str(FIX / "packs" / "duplicate-key"))
    assert code == 4
    root = ET.fromstring(out)
    assert root.get("failures") == "1" and root.get("tests") == "2"
    failing = [tc for tc in root.iter("testcase") if tc.find("failure") is not None]
    assert [tc.get("name") for tc in failing] == ["tests/fixtures/packs/duplicate-key/rules.yaml"]


def test_validate_missing_directory_is_a_pack_error() -> None:
    code, _out, err = run("validate", "no/such/dir")
    assert code == 4 and "no-such-path" in err


def test_test_bundled_packs_pass_on_both_backends() -> None:
    code, out, err = run("test", "rules")
    assert (code, err) == (0, "")
    assert "[durable]" in out and "[reference]" in out
    assert out.splitlines()[-1].startswith("ok: ")


def test_test_reports_fail_with_diff_skip_and_coverage() -> None:
    code, out, err = run("test", "--backend", "reference", str(FIX / "suites" / "demo"))
    assert code == 4 and err == ""
    assert out.splitlines() == [
        "PASS    us-demo/china-held [reference]  tests/fixtures/suites/demo/tests/cases.yaml:4:11",
        "FAIL    us-demo/china-wrongly-expected-allow [reference]  tests/fixtures/suites/demo/tests/cases.yaml:8:11",
        "          - decision: allow",
        "          + decision: review",
        "          - does not fire: us-demo.t.china-review",
        "          + fired: us-demo.t.china-review",
        "            fired: us-demo.t.china-review",
        "SKIPPED us-demo/north-korea-later [reference]  tests/fixtures/suites/demo/tests/cases.yaml:12:11",
        "          todo: known gap",
        "rules no case made fire:",
        "  us-demo.t.north-korea-deny  tests/fixtures/suites/demo/rules.yaml:13:9",
        "failed: 1 passed, 1 failed, 0 errors, 1 skipped (3 case(s) x 1 backend(s)); rule coverage 1/2 (50.0%)",
    ]


def test_test_min_coverage() -> None:
    assert run("test", "--min-coverage", "100", "rules")[0] == 0  # the bundled packs: every rule fires in a case
    code, _out, err = run("test", "--min-coverage", "60", "tests/fixtures/suites/demo")
    assert code == 4 and "below --min-coverage 60%" in err
    assert run("test", "--min-coverage", "101", "rules")[0] == 2  # usage error


def test_test_json_and_junit() -> None:
    code, out, _err = run("test", "--format", "json", str(FIX / "suites" / "demo"))
    data = json.loads(out)
    assert code == 4 and data["schema_version"] == "1"
    assert data["summary"] == {"pass": 2, "fail": 2, "error": 0, "skipped": 2}
    assert [u["rule"] for u in data["coverage"]["uncovered"]] == ["us-demo.t.north-korea-deny"]
    code, out, _err = run("test", "--format", "junit", str(FIX / "suites" / "demo"))
    root = ET.fromstring(out)
    assert [s.get("name") for s in root.iter("testsuite")] == [
        "compliance test [durable]",
        "compliance test [reference]",
    ]
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("6", "2", "2")


def test_test_case_naming_unknown_rule_is_a_pack_error() -> None:
    code, out, err = run("test", str(FIX / "packs" / "unknown-rule"))
    assert code == 4 and out == ""
    assert "cases.yaml:7:40: error unknown-rule case us-demo/china names unknown rule 'us-demo.t.bas'" in err


@pytest.mark.parametrize("name", ["pack", "transaction", "decision", "tests"])
def test_schema_matches_checked_in_copy(name: str) -> None:
    code, out, err = run("schema", name)
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert out == (ROOT / "schemas" / f"{name}.schema.json").read_text(), (
        "run: compliance schema NAME > schemas/NAME.schema.json"
    )


def test_schema_pack_discriminates_on_kind() -> None:
    schema = json.loads(run("schema", "pack")[1])
    mapping = schema["discriminator"]["mapping"]
    assert sorted(mapping) == ["catalog", "country-groups", "materials", "pack", "party-list", "rules"]
    assert run("schema", "nonsense")[0] == 2


def test_diff_reports_changes_grouped_by_rule() -> None:
    base = FIX / "diff"
    code, out, err = run("diff", str(base / "old"), str(base / "new"), "--corpus", str(base / "corpus"))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "2 of 4 transaction(s) changed; 2 decision(s) changed",
        "decisions:",
        "  SO-CN-MIL (tests/fixtures/diff/corpus/china-military.yaml): review -> deny",
        "  SO-MO (tests/fixtures/diff/corpus/macau.yaml): allow -> review",
        "by rule:",
        "  us-demo.t.china-military-deny",
        "    + now fires (deny) on line 1: SO-CN-MIL (tests/fixtures/diff/corpus/china-military.yaml)",
        "  us-demo.t.china-review",
        "    + now fires (review) on line 1: SO-MO (tests/fixtures/diff/corpus/macau.yaml)",
    ]


def test_diff_json_and_fail_on_change() -> None:
    base = FIX / "diff"
    args = ["diff", str(base / "old"), str(base / "new"), "--corpus", str(base / "corpus")]
    code, out, _err = run(*args, "--format", "json", "--fail-on-change")
    data = json.loads(out)
    assert code == 3
    assert data["schema_version"] == "1" and (data["evaluated"], data["changed"]) == (4, 2)
    assert sorted(data["by_rule"]) == ["us-demo.t.china-military-deny", "us-demo.t.china-review"]
    # The same packs on both sides: nothing changes, exit 0 even with --fail-on-change.
    code, out, _err = run(
        "diff", str(base / "old"), str(base / "old"), "--corpus", str(base / "corpus"), "--fail-on-change"
    )
    assert code == 0 and out.startswith("0 of 4 transaction(s) changed")


def test_diff_bad_corpus_file_and_bad_pack(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: X\ndate: 2025-13-01\ndestination: CN\nitems: []\n")
    base = FIX / "diff"
    code, _out, err = run("diff", str(base / "old"), str(base / "new"), "--corpus", str(tmp_path))
    assert code == 2 and "bad.yaml:2:7" in err
    code, _out, err = run(
        "diff", str(FIX / "packs" / "unknown-key"), str(base / "new"), "--corpus", str(base / "corpus")
    )
    assert code == 4 and "unknown-key" in err


def test_case_with_missing_transaction_file_is_located(tmp_path: Path) -> None:
    import shutil

    suite = tmp_path / "demo"
    shutil.copytree(ROOT / FIX / "suites" / "demo", suite)
    cases = suite / "tests" / "cases.yaml"
    cases.write_text(
        cases.read_text().replace("    transaction: {id: T1,", "    file: missing.yaml\n    x: {id: T1,", 1)
    )
    cases.write_text(cases.read_text().replace("    x: {id: T1,", "    # {id: T1,", 1))
    code, out, err = run("test", str(suite))
    assert code == 4 and out == ""
    assert (
        f"{cases}:6:11: error no-such-file case us-demo/china-held: transaction file 'missing.yaml' does not exist"
        in err
    )
