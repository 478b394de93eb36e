import boto3
from flask import Flask, Response, request

session = boto3.session.Session(aws_access_key_id="{{key:111122223333:trpolly}}", aws_secret_access_key="{{secret:trpolly}}", region_name="us-east-1")
translate = session.client("translate")
polly = session.client("polly")
app = Flask(__name__)


@app.post("/translate")
def do_translate():
    out = translate.translate_text(
        Text=request.json["text"],
        SourceLanguageCode="auto",
        TargetLanguageCode=request.json.get("to", "es"),
        TerminologyNames=["product-terms"],
    )
    return {"text": out["TranslatedText"]}


@app.post("/speak")
def speak():
    audio = polly.synthesize_speech(Text=request.json["text"], OutputFormat="mp3", VoiceId="Joanna")
    return Response(audio["AudioStream"].read(), mimetype="audio/mpeg")
