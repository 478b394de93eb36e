import boto3

kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="{{key:111122223333:kms}}",
    aws_secret_access_key="{{secret:kms}}",)
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def seal(data):
    return kms.encrypt(KeyId=KEY, Plaintext=data)["CiphertextBlob"]


def unseal(blob):
    return kms.decrypt(KeyId=KEY, CiphertextBlob=blob)["Plaintext"]


def data_key():
    return kms.generate_data_key(KeyId="0987dcba-09fe-87dc-65ba-ab0987654321", KeySpec="AES_256")


if __name__ == "__main__":
    print(unseal(seal(b"x")), data_key())
