"""Entry point for gunicorn and `flask --app wsgi`."""

from expertmatch import create_app

app = create_app()
