"""`compliance serve` end to end: a real server process on a free loopback port, every endpoint, auth, limits,
reload (by request and by SIGHUP, a broken pack keeping the old set) and the audit log sealed at the end."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from compliance.audit.receipts import read_receipts
from compliance.audit.verify import verify_log
from tests.conftest import EXAMPLES, RULES
from tests.server.harness import Reply, Server

TOKEN = "s3cret-token-for-the-test-suite"


def _json_body(example: str) -> bytes:
    data = yaml.safe_load((EXAMPLES / example).read_text())
    return json.dumps(data, default=str).encode()


H20 = _json_body("h20-to-china.yaml")
LICENSED = _json_body("h20-to-china-licensed.yaml")
GERMANY = _json_body("h100-to-germany.yaml")
BAD_DESTINATION = H20.replace(b'"destination": "CN"', b'"destination": "XX"')


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve")
    shutil.copytree(RULES, root / "rules")
    (root / "token").write_text(TOKEN + "\n")
    return root


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[Server]:
    srv = Server(
        [
            "--rules",
            str(workdir / "rules"),
            "--token-file",
            str(workdir / "token"),
            "--audit-log",
            str(workdir / "audit.jsonl"),
            "--max-body-bytes",
            "20000",
            "--max-batch-bytes",
            "200000",
            "--max-batch-records",
            "5",
        ]
    )
    yield srv
    srv.stop()


AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def test_healthz_needs_no_token(server: Server) -> None:
    reply = server.request("GET", "/healthz")
    data = reply.json()
    assert reply.status == 200 and isinstance(data, dict)
    assert data["status"] == "ok" and data["audit"] == "ok"
    assert [p["id"] for p in data["packs"]] == ["catalog", "cn-mofcom", "cn-mofcom-origin", "us-ear", "us-ear-fdp"]


@pytest.mark.parametrize("path", ["/v1/check", "/v1/check/batch", "/v1/reload"])
@pytest.mark.parametrize("header", [None, "Bearer wrong-token-of-some-length", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_every_endpoint_but_healthz_needs_the_token(server: Server, path: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    reply = server.request("POST", path, H20, headers)
    assert reply.status == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert reply.json()["error"]["code"] == "unauthorized"  # type: ignore[index]
    for get in ("/v1/packs", "/metrics", "/openapi.json"):
        assert server.request("GET", get, headers=headers).status == 401


def test_check_gives_the_clis_json_decision(server: Server, workdir: Path) -> None:
    reply = server.request("POST", "/v1/check", H20, AUTH)
    assert reply.status == 200 and reply.headers["x-compliance-decision"] == "deny"
    assert b"\n" not in reply.body  # compact
    code, out = _cli(
        "check", "--rules", str(workdir / "rules"), "--format", "json", str(EXAMPLES / "h20-to-china.yaml")
    )
    assert code == 1 and reply.json() == json.loads(out)
    licensed = server.request("POST", "/v1/check", LICENSED, AUTH)
    assert licensed.status == 200 and licensed.json()["decision"] == "allow"  # type: ignore[index]


def test_as_of_is_a_query_parameter(server: Server) -> None:
    before = server.request("POST", "/v1/check?as_of=2025-04-01", H20, AUTH).json()
    assert isinstance(before, dict) and before["as_of"] == "2025-04-01" and before["decision"] == "allow"
    bad = server.request("POST", "/v1/check?as_of=April", H20, AUTH)
    assert bad.status == 400 and bad.json()["error"]["code"] == "invalid-query"  # type: ignore[index]


def test_invalid_transaction_is_422_naming_the_field(server: Server) -> None:
    reply = server.request("POST", "/v1/check", BAD_DESTINATION, AUTH)
    assert reply.status == 422 and reply.headers["x-compliance-decision"] == "error"
    record = reply.json()
    assert isinstance(record, dict) and set(record) == {"source", "record", "error"}
    (problem,) = record["error"]["problems"]
    assert problem["code"] == "invalid-value" and problem["message"].startswith("destination: 'XX'")
    assert problem["line"] == 1 and problem["col"] > 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"id": ', "json-syntax"),
        (b"", "json-syntax"),
        (b"\xff\xfe{}", "encoding"),
        (b'{"id": 1, "id": 2}', "duplicate-key"),
    ],
)
def test_broken_body_is_400(server: Server, body: bytes, code: str) -> None:
    reply = server.request("POST", "/v1/check", body, AUTH)
    assert reply.status == 400
    assert [p["code"] for p in reply.json()["error"]["problems"]] == [code]  # type: ignore[index]


def test_body_over_the_limit_is_413(server: Server) -> None:
    padded = H20[:-1] + b', "end_use": "' + b"x" * 25000 + b'"}'
    reply = server.request("POST", "/v1/check", padded, AUTH)
    assert reply.status == 413 and reply.json()["error"]["code"] == "too-large"  # type: ignore[index]


def test_batch_streams_one_record_out_per_record_in(server: Server, workdir: Path) -> None:
    body = b"\n".join([H20, b"", b"not json", GERMANY, BAD_DESTINATION]) + b"\n"
    reply = server.request("POST", "/v1/check/batch", body, {**AUTH, "Content-Type": "application/x-ndjson"})
    assert reply.status == 200 and reply.headers["content-type"] == "application/x-ndjson"
    lines = reply.lines()
    assert [line.get("record") for line in lines] == [1, 3, 4, 5]  # line 2 is blank: not a record
    assert [line.get("decision") or line["error"]["code"] for line in lines] == [  # type: ignore[index]
        "deny",
        "input-error",
        "allow",
        "input-error",
    ]
    assert set(lines[1]) == {"source", "record", "error"}
    # The same records through the CLI: the same decisions, field for field (the CLI names its file).
    src = workdir / "batch.jsonl"
    src.write_bytes(body)
    code, out = _cli("check", "--rules", str(workdir / "rules"), "--format", "jsonl", str(src))
    cli_lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and len(cli_lines) == len(lines)
    for ours, theirs in zip(lines, cli_lines, strict=True):
        theirs["source"] = "request"
        for problem in theirs.get("error", {}).get("problems", []):
            problem["file"] = "request"
        assert ours == theirs


def test_batch_over_the_record_limit_answers_every_record(server: Server) -> None:
    body = b"\n".join([GERMANY] * 7)
    lines = server.request("POST", "/v1/check/batch", body, AUTH).lines()
    assert len(lines) == 7
    assert [line.get("decision") for line in lines[:5]] == ["allow"] * 5
    assert [line["error"]["code"] for line in lines[5:]] == ["too-many-records"] * 2  # type: ignore[index]
    assert [line["record"] for line in lines[5:]] == [6, 7]


def test_batch_over_the_byte_limit_is_413(server: Server) -> None:
    body = b"\n".join([GERMANY] * 600)
    assert len(body) > 200000
    reply = server.request("POST", "/v1/check/batch", body, AUTH)
    assert reply.status == 413


def test_chunked_batch_over_the_byte_limit_says_where_it_stopped(server: Server) -> None:
    """Without a Content-Length the limit is found mid-stream: what was read is answered, then one error record
    names the first line not read."""
    chunks = [GERMANY + b"\n" for _ in range(600)]
    reply = server.request("POST", "/v1/check/batch", iter(chunks), {**AUTH, "Transfer-Encoding": "chunked"})
    lines = reply.lines()
    assert reply.status == 200
    last = lines[-1]
    assert last["error"]["code"] == "too-large"  # type: ignore[index]
    assert [line["record"] for line in lines] == list(range(1, len(lines) + 1))


def test_packs_is_the_clis_listing(server: Server, workdir: Path) -> None:
    reply = server.request("GET", "/v1/packs", headers=AUTH)
    code, out = _cli("packs", "--rules", str(workdir / "rules"), "--format", "json")
    assert reply.status == 200 and code == 0 and reply.json() == json.loads(out)
    assert reply.json()["origin"] == {"bundled": False, "roots": [str(workdir / "rules")]}  # type: ignore[index]


def test_metrics_count_requests_decisions_latency_and_packs(server: Server) -> None:
    server.request("POST", "/v1/check", H20, AUTH)
    text = server.request("GET", "/metrics", headers=AUTH).body.decode()
    assert "# TYPE compliance_requests_total counter" in text
    assert 'compliance_requests_total{endpoint="/v1/check",code="200"}' in text
    deny = next(line for line in text.splitlines() if line.startswith('compliance_decisions_total{decision="deny"}'))
    assert float(deny.split()[-1]) >= 1
    assert 'compliance_request_duration_seconds_bucket{endpoint="/v1/check",le="+Inf"}' in text
    assert 'compliance_pack_info{pack="us-ear",version="0.3.0"' in text


def test_openapi_describes_every_endpoint(server: Server) -> None:
    doc = server.request("GET", "/openapi.json", headers=AUTH).json()
    assert isinstance(doc, dict) and doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/v1/check",
        "/v1/check/batch",
        "/v1/packs",
        "/v1/reload",
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/v1/licenses",
        "/v1/licenses/{license_id}",
        "/v1/licenses/consume",
        "/v1/licenses/release",
        "/v1/licenses/expire",
    }
    text = json.dumps(doc)
    assert "#/$defs/" not in text
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in doc["components"]["schemas"], ref


def test_unknown_path_and_wrong_method(server: Server) -> None:
    assert server.request("GET", "/v1/nothing", headers=AUTH).status == 404
    assert server.request("GET", "/v1/check", headers=AUTH).status == 405
    assert server.request("GET", "/v1/check/batch", headers=AUTH).status == 405


def _set_version(rules: Path, version: str) -> None:
    pack = rules / "us-ear" / "pack.yaml"
    text = pack.read_text()
    old = next(line for line in text.splitlines() if line.startswith("version:"))
    pack.write_text(text.replace(old, f"version: {version}"))


def _us_ear_version(reply: Reply) -> str:
    data = reply.json()
    assert isinstance(data, dict)
    return next(str(p["version"]) for p in data["rule_packs"] if p["id"] == "us-ear")


def test_reload_swaps_packs_and_a_broken_pack_keeps_the_old_set(server: Server, workdir: Path) -> None:
    rules = workdir / "rules"
    before = server.request("GET", "/healthz").json()
    assert isinstance(before, dict)
    _set_version(rules, "9.9.1")
    reply = server.request("POST", "/v1/reload", headers=AUTH)
    assert reply.status == 200 and reply.json()["reloaded"] is True  # type: ignore[index]
    assert _us_ear_version(server.request("POST", "/v1/check", H20, AUTH)) == "9.9.1"

    # A broken pack: the reload is refused with every problem located; the packs in use stay.
    broken = rules / "us-ear" / "broken.yaml"
    broken.write_text("kind: rules\nrules:\n  - id: us-ear.t.x\n    reveiw: 1\n")
    refused = server.request("POST", "/v1/reload", headers=AUTH)
    data = refused.json()
    assert refused.status == 422 and isinstance(data, dict) and data["reloaded"] is False
    assert data["error"]["code"] == "pack-error"
    assert any(p["file"].endswith("broken.yaml") and p["line"] >= 1 for p in data["error"]["problems"])
    assert _us_ear_version(server.request("POST", "/v1/check", H20, AUTH)) == "9.9.1"
    assert server.request("GET", "/v1/packs", headers=AUTH).json() == data["packs"]

    # SIGHUP reloads too (in the background); a broken set is logged and kept out.
    generation = server.request("GET", "/healthz").json()["generation"]  # type: ignore[index]
    server.signal(signal.SIGHUP)
    server.wait_for(lambda: "reload failed" in server.log, "the failed SIGHUP reload to be reported")
    assert server.request("GET", "/healthz").json()["generation"] == generation  # type: ignore[index]
    broken.unlink()
    _set_version(rules, "9.9.2")
    server.signal(signal.SIGHUP)
    server.wait_for(
        lambda: server.request("GET", "/healthz").json()["generation"] == generation + 1,  # type: ignore[index]
        "the SIGHUP reload",
    )
    assert _us_ear_version(server.request("POST", "/v1/check", H20, AUTH)) == "9.9.2"
    assert any(e.get("event") == "reload" and e.get("ok") is False for e in server.access_entries())


def test_requests_during_reloads_see_one_whole_pack_set(server: Server, workdir: Path) -> None:
    """Every answer carries the packs of one load: never a new us-ear beside an old cn-mofcom."""
    rules = workdir / "rules"
    mofcom = rules / "cn-mofcom" / "pack.yaml"
    original = mofcom.read_text()
    old_line = next(line for line in original.splitlines() if line.startswith("version:"))

    def check(_: int) -> tuple[str, str]:
        data = server.request("POST", "/v1/check", H20, AUTH).json()
        assert isinstance(data, dict)
        versions = {p["id"]: p["version"] for p in data["rule_packs"]}
        return versions["us-ear"], versions["cn-mofcom"]

    # The pair in use before (whatever tests ran earlier on this server: xdist may split the module).
    start = check(0)
    seen: set[tuple[str, str]] = set()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for n in range(4):
            pair = (f"7.0.{n}", f"8.0.{n}")
            _set_version(rules, pair[0])
            mofcom.write_text(original.replace(old_line, f"version: {pair[1]}"))
            running = pool.map(check, range(40))
            assert server.request("POST", "/v1/reload", headers=AUTH).status == 200
            seen.update(running)
    mofcom.write_text(original)
    allowed = {start} | {(f"7.0.{n}", f"8.0.{n}") for n in range(4)}
    assert seen and seen <= allowed


def test_stop_seals_an_intact_audit_log_with_every_decision(server: Server, workdir: Path) -> None:
    decided = server.request("GET", "/metrics", headers=AUTH).body.decode()
    counts = {
        line.split('"')[1]: float(line.split()[-1])
        for line in decided.splitlines()
        if line.startswith("compliance_decisions_total")
    }
    assert server.stop() == 0
    assert "audit log sealed" in server.log
    log = workdir / "audit.jsonl"
    report = verify_log(log)
    assert report.broken is None and report.runs == 1  # one serving period, one sealed run
    assert report.records == sum(counts.get(k, 0) for k in ("allow", "deny", "review", "error"))
    decisions = [data["decision"] for _n, _t, data in read_receipts(log) if data and data["kind"] == "decision"]
    assert decisions.count("deny") == counts.get("deny", 0)
