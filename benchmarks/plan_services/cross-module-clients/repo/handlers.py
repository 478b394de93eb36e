from aws import s3, secrets


class Reports:
    bucket = "acme-finance"

    def __init__(self, client):
        self.client = client

    def latest(self):
        return self.client.get_object(Bucket=self.bucket, Key="reports/latest.pdf")["Body"].read()


def api_token():
    return secrets.get_secret_value(SecretId="finance/api-token")["SecretString"]


def run():
    return Reports(s3).latest(), api_token()
