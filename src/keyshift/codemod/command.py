"""``RemoveStaticCredentialsCommand``: ``fix_module`` as a libcst codemod command.

``python -m libcst.tool codemod keyshift.codemod.credentials.RemoveStaticCredentialsCommand``
runs the same transform as ``keyshift fix``. Under libcst's runner the diffs and warnings are
libcst's, so this module wraps libcst's diff renderer with the scrubber (``libcst_route``) as
soon as it is imported, and every warning passes the file's ``Scrubber``. It lives apart from
``credentials`` because libcst's codemod framework is slow to import and ``keyshift fix``
never needs it; ``credentials`` still exports the command under its documented name.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile, VisitorBasedCodemodCommand

from keyshift.codemod import libcst_route
from keyshift.codemod.credentials import ModuleFix, fix_module
from keyshift.codemod.metadata import Wrapper
from keyshift.redact import quiet_compiler

libcst_route.install()  # under libcst's runner the diffs and warnings are libcst's: scrub them


class RemoveStaticCredentialsCommand(VisitorBasedCodemodCommand):
    """Remove aws_access_key_id / aws_secret_access_key / aws_session_token from boto3 call sites."""

    DESCRIPTION = (
        "Remove static AWS credentials from boto3/botocore/aioboto3 call sites so they use the "
        "default credential chain (ECS task roles)."
    )

    def __init__(self, context: CodemodContext) -> None:
        super().__init__(context)
        self.last_fix: ModuleFix | None = None
        self._redacted_diffs = libcst_route.install()  # libcst prints the diffs: scrub them

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        # libcst's runner already copied the tree for its wrapper: ours may share that copy
        copied = self.context.wrapper is not None and self.context.wrapper.module is tree
        wrapper = Wrapper(tree, unsafe_skip_copy=copied)
        with quiet_compiler():  # literal evaluation compiles user strings: no warning may echo them
            fix = fix_module(wrapper)
        self.last_fix = fix
        filename = self.context.filename
        libcst_route.remember(filename, fix.secrets)
        scrubber = libcst_route.scrubber_for(tree.code, filename, fix.secrets)
        if fix.changed and not self._redacted_diffs and scrubber and libcst_route.diff_requested():
            raise SkipFile("holds a secret this libcst's diff would print; run `keyshift fix` instead")
        for site in fix.sites:
            if site.status == "report-only":
                self.warn(scrubber.scrub(f"line {site.line}: {site.qualified}: report-only: {site.reason}"))
        for note in fix.notes:
            if note.needs_human:
                self.warn(scrubber.scrub(f"line {note.line}: {note.kind}: {note.message}"))
        return fix.module if fix.changed else tree
