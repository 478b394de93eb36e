"""``RemoveStaticCredentialsCommand`` through libcst's own ``CodemodTest`` harness."""

from __future__ import annotations

from libcst.codemod import CodemodTest

from keyshift.codemod.credentials import RemoveStaticCredentialsCommand

from .helpers import KEY


class TestRemoveStaticCredentialsCommand(CodemodTest):
    TRANSFORM = RemoveStaticCredentialsCommand

    def test_rewrites_and_drops_dead_constant(self) -> None:
        before = f'import boto3\n\nKEY = "{KEY}"\n\ns3 = boto3.client("s3", aws_access_key_id=KEY)\n'
        after = 'import boto3\n\ns3 = boto3.client("s3")\n'
        self.assertCodemod(
            before,
            after,
            expected_warnings=[
                f"line 5: revoke: access key {KEY} was hardcoded here; removing it from code does not "
                "revoke it: deactivate and delete it in IAM"
            ],
        )

    def test_report_only_is_unchanged_with_a_warning(self) -> None:
        before = "import boto3\n\n\ndef make(k):\n    return boto3.client('s3', aws_access_key_id=k)\n"
        self.assertCodemod(
            before,
            before,
            expected_warnings=[
                "line 5: boto3.client: report-only: aws_access_key_id: value is the function parameter 'k'"
            ],
        )

    def test_clean_module_is_unchanged(self) -> None:
        before = "import boto3\ns3 = boto3.client('s3')\n"
        self.assertCodemod(before, before)

    def test_vendor_session_untouched(self) -> None:
        before = "from vendor import Session\nc = Session().client('x', aws_access_key_id='A')\n"
        self.assertCodemod(before, before)
