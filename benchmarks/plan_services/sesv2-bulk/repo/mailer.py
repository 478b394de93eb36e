import boto3


class Mailer:
    def __init__(self, region="eu-central-1"):
        self.client = boto3.client(
            "sesv2", region_name=region, aws_access_key_id="{{key:111122223333:sesbulk}}", aws_secret_access_key="{{secret:sesbulk}}"
        )
        self.sender = "digest@news.example.org"

    def send_digest(self, recipients):
        entries = [{"Destination": {"ToAddresses": [r]}} for r in recipients]
        return self.client.send_bulk_email(
            FromEmailAddress=self.sender,
            DefaultContent={"Template": {"TemplateName": "daily-digest", "TemplateData": "{}"}},
            BulkEmailEntries=entries,
            ConfigurationSetName="bulk-tracking",
        )
