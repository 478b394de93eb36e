"""``keyshift trail``: what CloudTrail says each key really did, who else uses it, what the role is denied.

Static analysis sees only the code in front of it. The trail answers the two questions that
decide whether revoking a key is safe: who else calls AWS with it, and which calls the code made
that the analysis missed. The modules, one job each:

- ``gen``        CloudTrail records in AWS's documented format, for fixtures, tests and benchmarks
- ``stream``     incremental JSON: the ``Records`` array of a file read record by record, bounded
- ``sources``    what users have: delivered S3 layout (folder or tar), lookup-events, Lake/Athena
- ``actions``    eventSource + eventName -> IAM action through the planner's shipped table
- ``agents``     user-agent -> consumer family (boto3, aws-cli, console, other SDKs, third parties)
- ``fold``       one record -> per-key aggregates; partial results merge; chains are followed
- ``denials``    AccessDenied events and botocore ClientError log lines -> minimal additions
- ``athena``     the SQL for the standard CloudTrail table in Athena
- ``render``     text and JSON output
- ``integrate``  the trail beside a plan: additions, unobserved grants, revocation blockers
"""
