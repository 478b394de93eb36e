import boto3
import click

s3 = boto3.resource("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:s3arch}}", aws_secret_access_key="{{secret:s3arch}}")
INGEST = s3.Bucket("acme-ingest")


@click.command()
@click.argument("year")
def archive(year):
    for summary in INGEST.objects.filter(Prefix="landing/"):
        name = summary.key.split("/", 1)[1]
        s3.Object("acme-archive", f"{year}/{name}").copy_from(
            CopySource={"Bucket": "acme-ingest", "Key": summary.key}
        )
        summary.delete()


if __name__ == "__main__":
    archive()
