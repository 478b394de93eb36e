"""SQL for the standard CloudTrail table in Athena, for trails too big for one machine.

``ddl`` is AWS's documented CloudTrail table with partition projection on ``region`` and
``date`` (no ``MSCK REPAIR``, no crawler). ``query`` selects the flat columns ``keyshift trail``
reads back from the result CSV: the calls of the given keys, the calls of the temporary keys they
issued (one level of chaining), and the denials of role sessions. The user runs it in Athena and
passes the downloaded CSV to ``keyshift trail``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from keyshift.awsnames import KEY_ID_PATTERN

_KEY = re.compile(f"^{KEY_ID_PATTERN}$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,127}(?:\.[a-z_][a-z0-9_]{0,127})?$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
_DAY = re.compile(r"^\d{4}/\d{2}/\d{2}$")
_LOCATION = re.compile(r"^s3://[a-z0-9.\-]{3,63}/[A-Za-z0-9_./\-]*$")

DEFAULT_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "ap-northeast-2", "sa-east-1",
)  # fmt: skip

COLUMNS = (
    "eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress", "useragent", "errorcode",
    "errormessage", "eventid", "eventcategory", "eventversion", "recipientaccountid",
    "useridentity.type AS useridentity_type", "useridentity.arn AS useridentity_arn",
    "useridentity.accesskeyid AS accesskeyid",
    "useridentity.sessioncontext.sessionissuer.arn AS sessionissuer_arn",
    "requestparameters", "responseelements", "json_format(CAST(resources AS JSON)) AS resources",
)  # fmt: skip


def _check(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"not a valid {what}: {value!r}")
    return value


def ddl(
    location: str,
    table: str = "cloudtrail_logs",
    regions: Sequence[str] = DEFAULT_REGIONS,
    start: str = "2024/01/01",
) -> str:
    """CREATE TABLE for delivered CloudTrail files under ``location`` (s3://bucket/AWSLogs/<account>/CloudTrail/)."""
    _check(location, _LOCATION, "S3 location")
    _check(table, _TABLE, "table name")
    _check(start, _DAY, "start day (YYYY/MM/DD)")
    for r in regions:
        _check(r, _REGION, "region")
    base = location.rstrip("/")
    return f"""CREATE EXTERNAL TABLE IF NOT EXISTS {table} (
    eventversion STRING,
    useridentity STRUCT<
        type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,
        accesskeyid: STRING, username: STRING,
        sessioncontext: STRUCT<
            attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
            sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING,
                username: STRING>,
            ec2roledelivery: STRING,
            webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>>>,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    eventcategory STRING,
    tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>
)
PARTITIONED BY (region STRING, date STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{base}/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.region.type' = 'enum',
    'projection.region.values' = '{",".join(regions)}',
    'projection.date.type' = 'date',
    'projection.date.format' = 'yyyy/MM/dd',
    'projection.date.range' = '{start},NOW',
    'projection.date.interval' = '1',
    'projection.date.interval.unit' = 'DAYS',
    'storage.location.template' = '{base}/${{region}}/${{date}}'
);
"""


def query(keys: Sequence[str], since: str, until: str, table: str = "cloudtrail_logs") -> str:
    """The SELECT whose CSV result ``keyshift trail`` reads back."""
    _check(table, _TABLE, "table name")
    _check(since, _DAY, "--since day (YYYY/MM/DD)")
    _check(until, _DAY, "--until day (YYYY/MM/DD)")
    if not keys:
        raise ValueError("--athena needs --keys (the query is about those keys)")
    listed = ", ".join(f"'{_check(k, _KEY, 'access key ID')}'" for k in sorted(set(keys)))
    window = f"date BETWEEN '{since}' AND '{until}'"
    columns = ",\n    ".join(COLUMNS)
    return f"""SELECT
    {columns}
FROM {table}
WHERE {window}
  AND (
    useridentity.accesskeyid IN ({listed})
    OR useridentity.accesskeyid IN (
        SELECT json_extract_scalar(responseelements, '$.credentials.accessKeyId')
        FROM {table}
        WHERE {window}
          AND eventsource = 'sts.amazonaws.com'
          AND eventname IN ('AssumeRole', 'GetSessionToken', 'GetFederationToken')
          AND errorcode IS NULL
          AND useridentity.accesskeyid IN ({listed}))
    OR (errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation',
                      'Client.UnauthorizedOperation')
        AND useridentity.type = 'AssumedRole')
  )
ORDER BY eventtime;
"""
