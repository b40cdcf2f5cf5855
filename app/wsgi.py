"""WSGI entry point for gunicorn: ``gunicorn -c python:app.gunicorn_conf app.wsgi:app``."""

from app import create_app
from app.security.process import make_undumpable

make_undumpable()  # the app's secrets are in this process: see app/security/process.py
app = create_app()
