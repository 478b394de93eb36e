"""What a plan hands forward: one role per workload, and the run's open items and errors.

The renderers (text, JSON, Terraform, CloudFormation), ``migrate`` and ``trail`` read these
records only; keeping them apart from the pipeline that builds them (``planner.build``) lets
those consumers type against the result without importing how it is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keyshift.model import Secret
from keyshift.planner.grants import Grant
from keyshift.planner.keys import Blocker

__all__ = ["PlanResult", "RolePlan"]


@dataclass(frozen=True, slots=True)
class RolePlan:
    """The one role of one workload, replacing every key the workload's code used."""

    name: str
    service: str
    directory: str
    key_ids: tuple[str, ...]
    account_id: str | None
    region: str
    grants: tuple[Grant, ...]
    unresolved: tuple[str, ...]
    blockers: tuple[Blocker, ...]
    taskdefs: tuple[str, ...]
    notes: tuple[str, ...]
    key_locations: tuple[str, ...]
    target: str = "ecs"  # "ecs" | "lambda" | "eks"
    partition: str = "aws"
    execution_needs: tuple[str, ...] = ()  # what the task's execution role must allow
    write_execution_role: bool = False  # the task definition names none: keyshift writes one
    regions: tuple[str, ...] = ()  # every region the workload's calls name

    @property
    def key_id(self) -> str:
        """The first key the role replaces (role-name templates, one-key reports)."""
        return self.key_ids[0] if self.key_ids else ""


@dataclass(frozen=True, slots=True)
class PlanResult:
    root: str
    roles: tuple[RolePlan, ...]
    unresolved: tuple[str, ...]
    errors: tuple[str, ...]
    #: secrets the plan's scan found, for the outputs' ``Scrubber`` only; never shown
    secrets: frozenset[Secret] = field(default=frozenset(), repr=False, compare=False)
