"""``keyshift plan``: from hardcoded keys to least-privilege ECS task roles.

``plan_repository(root)`` links each key the code uses to the boto3 calls made with it
(``analysis``), maps each call to the IAM actions it needs (``iam_map``, a table shipped in
``data/``), builds resource ARNs from literal arguments (``resources``) and renders policies,
trust policies and deployment files (``render``, ``iac``). Everything is offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keyshift.planner.build import PlanResult


def plan_repository(*args: Any, **kwargs: Any) -> PlanResult:
    """See ``keyshift.planner.build.plan_repository``; imported lazily to keep ``--help`` fast."""
    from keyshift.planner.build import plan_repository as build_plan

    return build_plan(*args, **kwargs)


__all__ = ["plan_repository"]
