"""Denials as the application logs them: botocore ``ClientError`` text in plain logs or CloudWatch exports.

botocore formats an authorization failure as ``An error occurred (AccessDeniedException) when
calling the PutItem operation: User: arn:aws:sts::...:assumed-role/ROLE/... is not authorized to
perform: dynamodb:PutItem on resource: ...``. The role comes from the ``User:`` ARN, the action
and resource from the message. A line that names no action (S3's bare ``Access Denied``) is
reported as unresolved with its operation, never guessed.

Inputs: plain text logs (``*.log``, optionally gzip, as in a CloudWatch Logs S3 export) and
``aws logs filter-log-events`` JSON (``{"events": [{"message": ...}]}``), both streamed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from keyshift.trail import arns
from keyshift.trail.fold import CAP, DENIED, Partial, prune_denials
from keyshift.trail.stream import iter_array

_CLIENT_ERROR = re.compile(
    r"An error occurred \(([A-Za-z.]{1,64})\)(?: \(reached max retries: \d+\))? when calling the "
    r"([A-Za-z0-9]{1,128}) operation(?: \(reached max retries: \d+\))?: ?(.{0,2048})"
)
_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})")
_MAX_LINE = 64 * 1024


def from_line(line: str) -> tuple[str, str, str, str, str] | None:
    """(role ARN, action, resource, error code, operation) of a botocore denial line.

    Role or action may be ``""`` when the message does not name them; None: not a denial.
    """
    m = _CLIENT_ERROR.search(line[:_MAX_LINE])
    if m is None or m.group(1) not in DENIED:
        return None
    code, operation, message = m.groups()
    action, resource = arns.denied_action(message)
    principal, role = arns.denied_principal(message)
    role_arn = principal or ""
    if principal is not None and role is not None:
        role_arn = f"arn:aws:iam::{principal.split(':')[4]}:role/{role}"
    return role_arn, action or "", resource or "*", code, operation


def fold_log(read: Callable[[int], bytes], name: str, p: Partial) -> None:
    """Fold the denials of one log file into ``p`` (``denials`` and ``unresolved``)."""
    for where, line in _lines(read, name):
        found = from_line(line)
        if found is None:
            continue
        role, action, resource, code, operation = found
        if not role or not action or ":role/" not in role:
            if len(p["unresolved"]) < CAP:
                p["unresolved"].append((where, operation, code))
            continue
        m = _STAMP.search(line[:64])
        time = f"{m.group(1)}T{m.group(2)}Z" if m else ""
        table = p["denials"].setdefault(role, {})
        entry = table.get((action, resource, "logs"))
        if entry is None:
            entry = table[(action, resource, "logs")] = [0, "", "", where, code, operation, "logs"]
        entry[0] += 1
        if time and (not entry[1] or time < entry[1]):
            entry[1] = time
        entry[2] = max(entry[2], time)
        if len(table) > 2 * CAP or len(p["denials"]) > 2 * CAP:
            prune_denials(p, slack=2)  # bounded like the trail's own denials (``fold.prune``)


def _lines(read: Callable[[int], bytes], name: str) -> Iterator[tuple[str, str]]:
    head = read(1 << 16)
    if head.lstrip()[:1] == b"{" and b'"events"' in head:
        chunks = [head]

        def again(n: int) -> bytes:
            return chunks.pop() if chunks else read(n)

        for i, event in enumerate(iter_array(again, ("events",))):
            message = event.get("message") if isinstance(event, dict) else None
            if isinstance(message, str):
                yield f"{name}#event{i + 1}", message
        return
    rest = b""
    number = 0
    data = head
    while data:
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        if len(rest) > _MAX_LINE:
            rest = rest[:_MAX_LINE]  # an endless line is cut, not accumulated
        for raw in lines:
            number += 1
            if b"An error occurred" in raw:
                yield f"{name}:{number}", raw[:_MAX_LINE].decode("utf-8", "replace")
        data = read(1 << 20)
    if rest:
        number += 1
        if b"An error occurred" in rest:
            yield f"{name}:{number}", rest.decode("utf-8", "replace")
