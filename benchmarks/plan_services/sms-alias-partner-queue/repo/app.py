import boto3

KEYS = dict(aws_access_key_id="{{key:111122223333:edge}}",
    aws_secret_access_key="{{secret:edge}}", region_name="us-east-1")
sns = boto3.client("sns", **KEYS)
kms = boto3.client("kms", **KEYS)
sqs = boto3.client("sqs", **KEYS)


def send_code(phone, code):
    sns.publish(PhoneNumber=phone, Message=f"Your code is {code}")


def protect(token):
    return kms.encrypt(KeyId="alias/session-tokens", Plaintext=token)["CiphertextBlob"]


def hand_over(body):
    url = sqs.get_queue_url(QueueName="partner-inbox", QueueOwnerAWSAccountId="444455556666")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=body)


if __name__ == "__main__":
    send_code("+15555550100", "1234")
    protect(b"x")
    hand_over("x")
