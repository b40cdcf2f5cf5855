"""WSGI entry point for gunicorn: ``gunicorn -c python:app.gunicorn_conf app.wsgi:app``.

The app is created only after the database and Redis are found (app/preflight.py): a web process on
an empty SQLite file or a private Redis would answer while sharing nothing with the workers. Under
app/gunicorn_conf.py the master checks first and stops with the message alone; any other server gets
the same :class:`~app.config.ConfigurationError` from here.
"""

from app import create_app
from app.config import Config
from app.preflight import require_services
from app.security.process import make_undumpable

make_undumpable()  # the app's secrets are in this process: see app/security/process.py
_config = Config.from_env()
require_services(_config)
app = create_app(_config)
