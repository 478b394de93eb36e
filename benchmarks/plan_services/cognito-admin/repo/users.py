import boto3

idp = boto3.client("cognito-idp", region_name="us-east-1", aws_access_key_id="{{key:111122223333:cognito}}",
    aws_secret_access_key="{{secret:cognito}}",)
POOL = "us-east-1_AbCdEf123"


def invite(email):
    idp.admin_create_user(UserPoolId=POOL, Username=email, UserAttributes=[{"Name": "email", "Value": email}])


def lookup(email):
    return idp.admin_get_user(UserPoolId=POOL, Username=email)


def disable(email):
    idp.admin_disable_user(UserPoolId=POOL, Username=email)


if __name__ == "__main__":
    invite("a@b.example")
    print(lookup("a@b.example"))
    disable("a@b.example")
