"""``keyshift trail`` end to end through the CLI: the demo trail, every input shape, fast == full."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from keyshift.trail import gen

from .demo_trail import ACCOUNT, ORDERS_KEY, ROLE, TEMP_CLI, build, records
from .helpers import DEMO, DEMO_TRAIL, golden, run, run_json


def _cd_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DEMO_TRAIL.parent.parent)


def test_demo_fixture_is_current(tmp_path: Path) -> None:
    build(tmp_path / "demo-trail")
    got = sorted(
        p.relative_to(tmp_path / "demo-trail") for p in (tmp_path / "demo-trail").rglob("*") if p.is_file()
    )
    want = sorted(p.relative_to(DEMO_TRAIL) for p in DEMO_TRAIL.rglob("*") if p.is_file())
    assert got == want
    for rel in got:
        assert (tmp_path / "demo-trail" / rel).read_bytes() == (DEMO_TRAIL / rel).read_bytes(), rel


@pytest.mark.parametrize("fmt", ["txt", "json"])
def test_demo_trail_golden(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _cd_root(monkeypatch)
    args = ["trail", "fixtures/demo-trail", "--keys", ORDERS_KEY]
    code, out, _ = run(*args, *(["--format", "json"] if fmt == "json" else []))
    assert code == 0
    golden(f"demo-trail.{fmt}", out)


def test_demo_trail_names_consumer_missed_call_and_denial() -> None:
    code, data = run_json("trail", str(DEMO_TRAIL), "--keys", ORDERS_KEY)
    assert code == 0
    (key,) = data["keys"]
    labels = {(c["label"], c["source_ip"], c["python_sdk"]) for c in key["consumers"]}
    assert ("aws-cli/2.15.30", "198.51.100.7", False) in labels
    actions = {a for c in key["calls"] for a in c["actions"]}
    assert "secretsmanager:GetSecretValue" in actions
    # the calls the laptop made as the role it assumed count for the key, attributed to the role
    (listing,) = [c for c in key["calls"] if c["event_name"] == "ListBuckets"]
    assert listing["via_role"] == f"arn:aws:iam::{ACCOUNT}:role/orders-ops"
    assert [TEMP_CLI, f"arn:aws:iam::{ACCOUNT}:role/orders-ops"] in key["sessions"]
    denials = {(d["role_arn"], d["action"], d["origin"]) for d in data["denials"]}
    assert (f"arn:aws:iam::{ACCOUNT}:role/{ROLE}", "dynamodb:UpdateItem", "cloudtrail") in denials
    assert (f"arn:aws:iam::{ACCOUNT}:role/{ROLE}", "dynamodb:UpdateItem", "logs") in denials


def _keys(data: dict[str, Any]) -> Any:
    return data["keys"], data["denials"], data["coverage"]["records"], data["coverage"]["data_events"]


def test_fast_path_matches_full_parse(tmp_path: Path) -> None:
    """With --keys, delivered files are searched, not parsed; the answer must not change."""
    _, fast = run_json("trail", str(DEMO_TRAIL), "--keys", ORDERS_KEY)
    _, full = run_json("trail", str(DEMO_TRAIL))
    full["keys"] = [k for k in full["keys"] if k["key_id"] == ORDERS_KEY]
    assert _keys(fast) == _keys(full)


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_tar_of_the_delivered_folder(tmp_path: Path, mode: str) -> None:
    tar_path = tmp_path / ("trail.tar" if mode == "w" else "trail.tar.gz")
    with tarfile.open(tar_path, mode) as tar:
        tar.add(DEMO_TRAIL / "AWSLogs", arcname="AWSLogs")
    code, from_tar = run_json("trail", str(tar_path), "--keys", ORDERS_KEY)
    assert code == 0
    _, from_dir = run_json("trail", str(DEMO_TRAIL / "AWSLogs"), "--keys", ORDERS_KEY)
    assert _keys(from_tar) == _keys(from_dir)
    assert from_tar["coverage"]["files"] == 4


def _summary_of(path: Path) -> Any:
    code, data = run_json("trail", str(path), "--keys", ORDERS_KEY)
    assert code == 0, data["coverage"]
    (key,) = data["keys"]
    return sorted((c["event_name"], c["count"]) for c in key["calls"]), data["denials"]


def test_lookup_events_output(tmp_path: Path) -> None:
    events = [
        {
            "EventId": r["eventID"],
            "EventName": r["eventName"],
            "ReadOnly": "false",
            "AccessKeyId": r["userIdentity"]["accessKeyId"],
            "EventTime": r["eventTime"],
            "EventSource": r["eventSource"],
            "Username": "orders-service",
            "Resources": [],
            "CloudTrailEvent": json.dumps(r),
        }
        for r in records()
    ]
    path = tmp_path / "lookup.json"
    path.write_text(json.dumps({"Events": events, "NextToken": "abc"}, indent=4))
    calls, _ = _summary_of(path)
    assert ("GetSecretValue", 4) in calls and ("ListBuckets", 1) in calls


def _flat(r: dict[str, Any]) -> dict[str, str]:
    ui = r["userIdentity"]
    return {
        "eventtime": r["eventTime"],
        "eventsource": r["eventSource"],
        "eventname": r["eventName"],
        "awsregion": r["awsRegion"],
        "sourceipaddress": r["sourceIPAddress"],
        "useragent": r["userAgent"],
        "errorcode": r.get("errorCode", ""),
        "errormessage": r.get("errorMessage", ""),
        "eventid": r["eventID"],
        "eventcategory": r["eventCategory"],
        "eventversion": r["eventVersion"],
        "recipientaccountid": r["recipientAccountId"],
        "useridentity_type": ui["type"],
        "useridentity_arn": ui["arn"],
        "accesskeyid": ui["accessKeyId"],
        "sessionissuer_arn": ui.get("sessionContext", {}).get("sessionIssuer", {}).get("arn", ""),
        "requestparameters": json.dumps(r["requestParameters"]) if r["requestParameters"] is not None else "",
        "responseelements": json.dumps(r["responseElements"]) if r["responseElements"] is not None else "",
        "resources": json.dumps(r.get("resources", [])),
    }


def test_athena_csv_result(tmp_path: Path) -> None:
    rows = [_flat(r) for r in records()]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "athena-result.csv"
    path.write_text(buf.getvalue())
    calls, denials = _summary_of(path)
    assert ("GetSecretValue", 4) in calls and ("ListBuckets", 1) in calls
    assert [d["action"] for d in denials] == ["dynamodb:UpdateItem"]


def test_lake_query_results_json(tmp_path: Path) -> None:
    rows = [[{k: v} for k, v in _flat(r).items()] for r in records()]
    path = tmp_path / "lake.json"
    path.write_text(json.dumps({"QueryStatus": "FINISHED", "QueryResultRows": rows}))
    calls, _ = _summary_of(path)
    assert ("PutItem", 4) in calls


def test_json_array_of_rows(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([_flat(r) for r in records()]))
    calls, _ = _summary_of(path)
    assert ("PutObject", 4) in calls


def test_keys_from_a_scan_of_the_repository() -> None:
    code, data = run_json("trail", str(DEMO_TRAIL), "--keys", str(DEMO))
    assert code == 0
    assert [k["key_id"] for k in data["keys"]] == [ORDERS_KEY]
    assert "AKIARTX3GSDSXD4EDCUD" in data["not_seen"]  # the demo's second key never called AWS here


def test_keys_from_a_file(tmp_path: Path) -> None:
    listing = tmp_path / "keys.txt"
    listing.write_text(f"# keys to check\n{ORDERS_KEY}\n")
    _, data = run_json("trail", str(DEMO_TRAIL), "--keys", str(listing))
    assert [k["key_id"] for k in data["keys"]] == [ORDERS_KEY]


def test_logs_option_reads_filter_log_events_json(tmp_path: Path) -> None:
    from .demo_trail import APP_LOG

    export = tmp_path / "events.json"
    export.write_text(json.dumps({"events": [{"logStreamName": "ecs/orders/1", "timestamp": 1, "message": APP_LOG}],
                                  "searchedLogStreams": []}))  # fmt: skip
    code, data = run_json("trail", "--logs", str(export))
    assert code == 0
    assert [(d["action"], d["origin"]) for d in data["denials"]] == [("dynamodb:UpdateItem", "logs")]


def test_usage_errors() -> None:
    assert run("trail")[0] == 2
    assert run("trail", str(DEMO_TRAIL), "--format", "xml")[0] == 2
    assert run("trail", "/nonexistent/trail")[0] == 2
    assert run("trail", str(DEMO_TRAIL), "--keys", "not-a-key")[0] == 2


def test_many_files_on_a_process_pool(tmp_path: Path) -> None:
    """Enough data to leave the in-process path: the pool gives the same answer as one process."""
    actor = gen.Actor(ACCOUNT, ORDERS_KEY, "203.0.113.10", gen.BOTO3_UA, user="orders-service")
    recs = [
        gen.record(actor, "dynamodb.amazonaws.com", "PutItem", time=f"2026-11-0{1 + i % 3}T10:00:{i % 60:02d}Z",
                   params={"tableName": "orders", "item": {"pad": {"S": "x" * 900}}}, seed=str(i))
        for i in range(9000)
    ]  # fmt: skip
    gen.write_delivered(tmp_path, recs, per_file=300, level=1)
    _, pooled = run_json("trail", str(tmp_path), "--keys", ORDERS_KEY, "--jobs", "2")
    _, single = run_json("trail", str(tmp_path), "--keys", ORDERS_KEY, "--jobs", "1")
    assert pooled == single
    assert pooled["keys"][0]["calls"][0]["count"] == 9000


def test_athena_sql_shape() -> None:
    code, out, _ = run("trail", "--athena", "--keys", ORDERS_KEY, "--athena-location",
                       "s3://acme-trail/AWSLogs/111122223333/CloudTrail", "--since", "2026/11/01", "--until", "2026/11/30")  # fmt: skip
    assert code == 0
    ddl, _, query = out.partition(";\n")
    assert ddl.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs (")
    assert "PARTITIONED BY (region STRING, date STRING)" in ddl
    assert "'projection.enabled' = 'true'" in ddl
    assert (
        "'storage.location.template' = 's3://acme-trail/AWSLogs/111122223333/CloudTrail/${region}/${date}'"
        in ddl
    )
    assert "'projection.date.format' = 'yyyy/MM/dd'" in ddl
    assert "com.amazon.emr.cloudtrail.CloudTrailInputFormat" in ddl
    assert ddl.count("(") == ddl.count(")") and query.count("(") == query.count(")")
    assert query.strip().startswith("SELECT") and query.rstrip().endswith(";")
    assert "date BETWEEN '2026/11/01' AND '2026/11/30'" in query
    assert f"'{ORDERS_KEY}'" in query
    assert "$.credentials.accessKeyId" in query
    # every column the query selects is one the CSV reader understands
    from keyshift.trail import athena, flat

    for column in athena.COLUMNS:
        alias = column.rsplit(" AS ", 1)[-1]
        rec = flat.from_row(
            {alias: '{"a": 1}' if alias in ("requestparameters", "responseelements", "resources") else "x"}
        )
        assert rec, alias


@pytest.mark.parametrize(
    "args",
    [
        ("--athena-location", "s3://bucket/x'; DROP TABLE y; --"),
        ("--since", "2026-11-01"),
        ("--keys", "AKIAIOSFODNN7EXAMPL'"),
    ],
)
def test_athena_rejects_injection(args: tuple[str, str]) -> None:
    base = {"--keys": ORDERS_KEY}
    if args[0] == "--keys":
        base = {}
    flat_args = [x for kv in base.items() for x in kv]
    assert run("trail", "--athena", *flat_args, *args)[0] == 2


def test_copy_is_independent(tmp_path: Path) -> None:
    """The digest files are skipped, not counted as unreadable."""
    shutil.copytree(DEMO_TRAIL, tmp_path / "t")
    for digest in (tmp_path / "t").rglob("*Digest*.json.gz"):
        assert digest.is_file()
    code, data = run_json("trail", str(tmp_path / "t"))
    assert code == 0 and data["coverage"]["skipped"] == []
    assert gzip.decompress((next((tmp_path / "t").rglob("*_CloudTrail_*.json.gz"))).read_bytes()).startswith(
        b'{"Records":['
    )


def test_documentation_shaped_record_pretty_printed(tmp_path: Path) -> None:
    """The shape of AWS's own documentation example (1.05, console sign-in, empty sessionIssuer),
    pretty-printed: not the delivered compact form, so the fast path must hand over to the full parse."""
    rec = {
        "eventVersion": "1.05",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAJDPLRKLG7UEXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/Mary_Major",
            "accountId": ACCOUNT,
            "accessKeyId": ORDERS_KEY,
            "userName": "Mary_Major",
            "sessionContext": {
                "sessionIssuer": {},
                "webIdFederationData": {},
                "attributes": {"mfaAuthenticated": "false", "creationDate": "2019-06-18T22:28:31Z"},
            },
            "invokedBy": "signin.amazonaws.com",
        },
        "eventTime": "2019-06-19T00:18:31Z",
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": "StartLogging",
        "awsRegion": "us-east-2",
        "sourceIPAddress": "203.0.113.64",
        "userAgent": "signin.amazonaws.com",
        "requestParameters": {"name": f"arn:aws:cloudtrail:us-east-2:{ACCOUNT}:trail/My-First-Trail"},
        "responseElements": None,
        "requestID": "ddf5140f-EXAMPLE",
        "eventID": "7116c6a1-EXAMPLE",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }
    path = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-2" / "2019" / "06" / "19" / "x.json.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": [rec]}, indent=4).encode()))
    code, data = run_json("trail", str(tmp_path), "--keys", ORDERS_KEY)
    assert code == 0
    (key,) = data["keys"]
    (call,) = key["calls"]
    assert (call["actions"], call["by"]) == (["cloudtrail:StartLogging"], "console")
    assert call["resources"] == [f"arn:aws:cloudtrail:us-east-2:{ACCOUNT}:trail/My-First-Trail"]
    assert data["coverage"]["versions"] == [["1.05", 1]]


def test_logs_option_reads_a_cloudwatch_s3_export_folder(tmp_path: Path) -> None:
    """An S3 export of CloudWatch Logs: gzip files of timestamped lines under per-stream folders."""
    from .demo_trail import APP_LOG

    stream = tmp_path / "export" / "0f3b-task" / "ecs" / "orders" / "abc123"
    stream.mkdir(parents=True)
    lines = "2026-11-04T10:05:59.870Z order 1042 stored\n" + "2026-11-04T10:06:00.412Z " + APP_LOG
    lines += "2026-11-04T10:07:00.000Z An error occurred (AccessDenied) when calling the GetObject operation: Access Denied\n"
    (stream / "000000.gz").write_bytes(gzip.compress(lines.encode()))
    code, data = run_json("trail", "--logs", str(tmp_path / "export"))
    assert code == 0
    (denial,) = data["denials"]
    assert (denial["action"], denial["origin"], denial["first"]) == (
        "dynamodb:UpdateItem",
        "logs",
        "2026-11-04T10:06:00Z",
    )
    # S3's bare "Access Denied" names no action: reported, never guessed
    assert [u[1:] for u in data["unresolved"]] == [["GetObject", "AccessDenied"]]


def test_compressed_tar_on_the_pool_matches_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members of a compressed tar carry their bytes to the workers, a few at a time."""
    import keyshift.trail.run as trail_run

    monkeypatch.setattr(trail_run, "_INLINE_BYTES", 0)
    tar_path = tmp_path / "trail.tgz"
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(DEMO_TRAIL / "AWSLogs", arcname="AWSLogs")
    _, from_tar = run_json("trail", str(tar_path), "--keys", ORDERS_KEY, "--jobs", "2")
    _, from_dir = run_json("trail", str(DEMO_TRAIL / "AWSLogs"), "--keys", ORDERS_KEY, "--jobs", "2")
    assert _keys(from_tar) == _keys(from_dir)
    assert from_tar["keys"][0]["sessions"]  # the chain was followed on the pool too
