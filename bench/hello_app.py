"""A bare Flask hello-world app: the baseline that bench/survey_load.py compares against.

Served by gunicorn with the same settings as the survey app:
``gunicorn -w 2 --chdir bench hello_app:app``.
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
