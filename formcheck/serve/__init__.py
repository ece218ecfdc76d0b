"""`formcheck serve`: record with the phone, read the report on the phone (a local web app and its JSON API)."""

from formcheck.serve.app import ServeSettings, create_app

__all__ = ["ServeSettings", "create_app"]
