"""The `compliance` command: exit codes, stdout for results, stderr for problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import EXAMPLES, RULES


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--rules", str(RULES)] if args[0] in ("check", "packs") else list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("example", "code", "decision"),
    [
        ("h20-to-china.yaml", 1, "DENY"),
        ("h20-to-china-licensed.yaml", 0, "ALLOW"),
        ("unclassified-item.yaml", 3, "REVIEW"),
        ("h100-to-germany.yaml", 0, "ALLOW"),
        ("huawei-end-user.yaml", 1, "DENY"),
    ],
)
def test_check_exit_code_follows_the_decision(example: str, code: int, decision: str) -> None:
    exit_code, out, err = run("check", str(EXAMPLES / example))
    assert exit_code == code
    assert f"{decision}  transaction" in out.splitlines()[0]
    assert err == ""


def test_text_output_shows_rule_and_citation() -> None:
    _, out, _ = run("check", str(EXAMPLES / "h20-to-china.yaml"))
    assert "us-ear.ac.h20-mi308-license" in out
    assert "cite: NVIDIA Corporation Form 8-K filed 2025-04-15" in out
    assert "packs: " in out


def test_licensed_output_names_the_licence() -> None:
    _, out, _ = run("check", str(EXAMPLES / "h20-to-china-licensed.yaml"))
    assert "licence on file: D1234567" in out


def test_json_output_is_the_decision_contract() -> None:
    code, out, _ = run("check", str(EXAMPLES / "h20-to-china.yaml"), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert {
        "schema_version",
        "transaction_id",
        "decision",
        "as_of",
        "lines",
        "findings",
        "rule_packs",
        "engine_version",
    } <= set(data)
    assert data["lines"] == [
        {"line": 1, "decision": "deny", "product": "nvidia-h20", "control_codes": [], "normalized": []}
    ]
    finding = data["findings"][0]
    assert {"rule_id", "pack", "effect", "outcome", "line", "party", "message", "citations", "license"} <= set(finding)
    assert {"id", "version", "sha256"} <= set(data["rule_packs"][0])


def test_as_of_overrides_the_transaction_date() -> None:
    code, out, _ = run("check", str(EXAMPLES / "h20-to-china.yaml"), "--as-of", "2025-03-01", "--format", "json")
    assert code == 0 and json.loads(out)["as_of"] == "2025-03-01"


def test_bad_as_of_is_a_usage_error() -> None:
    code, _, err = run("check", str(EXAMPLES / "h20-to-china.yaml"), "--as-of", "yesterday")
    assert code == 2 and "ISO date" in err


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (("destination: CN", "destination: XX"), ":6:14: error invalid-value destination: 'XX' is not an ISO 3166-1"),
        (("date: 2025-05-01\n", ""), ":2:1: error missing-field date: required field 'date' is missing"),
        (("destination: CN", "destination: [CN"), "error yaml-syntax"),
    ],
)
def test_malformed_input_exits_2_naming_file_line_and_field(tmp_path: Path, edit: tuple[str, str], expect: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "h20-to-china.yaml").read_text().replace(*edit))
    code, out, err = run("check", str(bad))
    assert code == 2 and out == ""
    assert str(bad) in err and expect in err


def test_worst_result_wins_over_several_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n")
    allow, deny, review = (
        str(EXAMPLES / n) for n in ("h100-to-germany.yaml", "h20-to-china.yaml", "unclassified-item.yaml")
    )
    assert run("check", allow, review)[0] == 3
    assert run("check", allow, review, deny)[0] == 1
    assert run("check", allow, deny, str(bad))[0] == 2


def test_several_files_in_json_give_an_array_with_error_records(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n")
    code, out, err = run("check", str(EXAMPLES / "h20-to-china.yaml"), str(bad), "--format", "json")
    data = json.loads(out)
    assert code == 2 and len(data) == 2
    assert data[0]["decision"] == "deny" and data[1]["source"] == str(bad) and data[1]["error"]["problems"]
    assert "missing-field" in err


def test_broken_pack_exits_4(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("kind: pack\nid: x\n")
    result = CliRunner().invoke(main, ["check", str(EXAMPLES / "h20-to-china.yaml"), "--rules", str(tmp_path)])
    assert result.exit_code == 4 and "missing-field" in result.stderr and result.stdout == ""


def test_packs_lists_versions_and_hashes() -> None:
    code, out, _ = run("packs")
    assert code == 0 and "us-ear" in out and "cn-mofcom" in out
    code, out, _ = run("packs", "--format", "json")
    listing = json.loads(out)
    assert listing["schema_version"] == "1" and all(len(p["sha256"]) == 64 for p in listing["packs"])


def test_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(main, ["check", "--help"])
    text = "".join(result.stdout.split())  # click may wrap anywhere, even after a hyphen
    for part in ("0 allow", "1 deny", "3 review", "2 bad input or usage", "4 rule-pack error"):
        assert part.replace(" ", "") in text


def test_reference_backend_gives_the_same_answer() -> None:
    a = run("check", str(EXAMPLES / "h20-to-china.yaml"), "--format", "json")
    b = run("check", str(EXAMPLES / "h20-to-china.yaml"), "--format", "json", "--backend", "reference")
    assert a == b


def test_internal_error_is_one_line_and_never_a_success(monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance import Engine

    def broken(self: Engine, tx: object, **kw: object) -> None:
        raise RuntimeError("simulated fault")

    monkeypatch.setattr(Engine, "decide", broken)
    code, out, err = run("check", str(EXAMPLES / "h20-to-china.yaml"))
    assert code == 2 and out == ""
    # an error record in the record's place (issue 11: the batch goes on), not a stopped batch
    assert err.strip().splitlines()[0] == (
        f"{EXAMPLES / 'h20-to-china.yaml'}:1:1: error internal-error internal error while checking this record: "
        "RuntimeError: simulated fault; it was not decided"
    )
    debug = CliRunner().invoke(main, ["--debug", "check", str(EXAMPLES / "h20-to-china.yaml"), "--rules", str(RULES)])
    assert isinstance(debug.exception, RuntimeError)


def test_notices_show_in_text_json_and_csv(tmp_path: Path) -> None:
    # An H100 to Germany checked for a date past the packs' review: allowed, with a notice in every format.
    src = tmp_path / "late.yaml"
    src.write_text((EXAMPLES / "h100-to-germany.yaml").read_text())
    code, out, _ = run("check", str(src), "--as-of", "2026-12-20")
    assert code == 0 and "ALLOW" in out.splitlines()[0]
    assert "NOTICE law-past-review (us-ear, reviewed" in out
    code, out, _ = run("check", str(src), "--as-of", "2026-12-20", "--format", "json")
    assert [n["code"] for n in json.loads(out)["notices"]] == ["law-past-review"]
    code, out, _ = run("check", str(src), "--as-of", "2026-12-20", "--format", "csv")
    header, row = out.splitlines()[:2]
    assert header.split(",")[-1] == "notices" and row.split(",")[-1] == "law-past-review:us-ear"
    code, out, _ = run("check", str(src), "--format", "csv")  # on its own date: no notice, the column stays
    assert out.splitlines()[1].split(",")[-1] == ""
