import boto3

CLUSTER = "arn:aws:rds:us-east-1:111122223333:cluster:orders-db"
SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rds-db-credentials/orders-db-a1B2c3"


class Db:
    def __init__(self):
        self.rds = boto3.client("rds-data", region_name="us-east-1", aws_access_key_id="{{key:111122223333:rdsdata}}", aws_secret_access_key="{{secret:rdsdata}}")

    def query(self, sql, params=()):
        return self.rds.execute_statement(
            resourceArn=CLUSTER, secretArn=SECRET, database="orders", sql=sql, parameters=list(params)
        )["records"]

    def insert_many(self, sql, rows):
        self.rds.batch_execute_statement(
            resourceArn=CLUSTER, secretArn=SECRET, database="orders", sql=sql, parameterSets=rows
        )
