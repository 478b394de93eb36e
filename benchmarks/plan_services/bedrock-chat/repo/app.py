import json

import boto3
from fastapi import FastAPI

brt = boto3.client("bedrock-runtime", region_name="us-west-2", aws_access_key_id="{{key:111122223333:bedchat}}", aws_secret_access_key="{{secret:bedchat}}")
SUMMARY_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
app = FastAPI()


@app.post("/summarize")
def summarize(text: str):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "messages": [{"role": "user", "content": f"Summarize: {text}"}],
    }
    out = brt.invoke_model(modelId=SUMMARY_MODEL, body=json.dumps(body))
    return json.loads(out["body"].read())["content"][0]["text"]


@app.post("/chat")
def chat(prompt: str):
    stream = brt.converse_stream(
        modelId="amazon.titan-text-express-v1",
        messages=[{"role": "user", "content": [{"text": prompt}]}],
    )
    return "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in stream["stream"] if "contentBlockDelta" in e
    )
