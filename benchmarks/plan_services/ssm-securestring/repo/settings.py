import os

import boto3

PREFIX = os.environ.get("PARAM_PREFIX", "/billing/prod")
_ssm = boto3.client("ssm", region_name="eu-west-1", aws_access_key_id="{{key:111122223333:ssmsec}}", aws_secret_access_key="{{secret:ssmsec}}")


def secret(name):
    return _ssm.get_parameter(Name=f"{PREFIX}/{name}", WithDecryption=True)["Parameter"]["Value"]


def feature_flags():
    flags = {}
    pages = _ssm.get_paginator("get_parameters_by_path").paginate(
        Path="/billing/flags", Recursive=True, WithDecryption=True
    )
    for page in pages:
        for p in page["Parameters"]:
            flags[p["Name"].rsplit("/", 1)[-1]] = p["Value"]
    return flags


STRIPE_KEY = secret("stripe-key")
FLAGS = feature_flags()
