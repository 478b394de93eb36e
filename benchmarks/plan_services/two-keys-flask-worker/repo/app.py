import db
import mail
from flask import Flask

app = Flask(__name__)


@app.post("/confirm/<account_id>")
def confirm(account_id):
    db.confirm(account_id)
    return "", 204


@app.post("/welcome/<email>")
def welcome(email):
    if not db.by_email(email):
        mail.welcome(email)
    return "", 204
