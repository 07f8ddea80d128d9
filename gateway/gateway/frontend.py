"""The web app: index.html for `/` and every client-side route, its built assets under /static/app/."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, send_from_directory

from crm_shared.auth import public

APP_DIR = Path(__file__).resolve().parent / "static" / "app"
# Vite puts content-hashed file names under assets/: a changed file gets a new name.
HASHED_ASSETS = "assets/"
ONE_YEAR = 365 * 24 * 3600

MISSING_BUILD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CRM: web app not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#1f2933}
code{background:#f5f7fa;padding:2px 5px;border-radius:3px}</style></head>
<body><h1>The web app has not been built yet</h1>
<p>The gateway is running, but <code>gateway/gateway/static/app/index.html</code> does not exist.</p>
<p>Run <code>make run</code>: it builds the web app and starts everything.
To build only the web app: <code>cd gateway/web &amp;&amp; npm ci &amp;&amp; npm run build</code>.</p>
<p>The API works without it: see <a href="/docs">/docs</a>.</p></body></html>
"""


def index(app_dir: Path = APP_DIR) -> Response:
    """The single page; a clear 503 page when the front-end was never built."""
    if not (app_dir / "index.html").is_file():
        return Response(MISSING_BUILD_PAGE, status=503, mimetype="text/html")
    response = send_from_directory(app_dir, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


def install(app: Flask, app_dir: Path = APP_DIR) -> None:
    """Routes for the web app; unknown /api/ and /static/ paths stay 404 in the error shape."""

    @app.get("/static/app/<path:filename>")
    @public
    def app_asset(filename: str):
        max_age = ONE_YEAR if filename.startswith(HASHED_ASSETS) else 3600
        response = send_from_directory(app_dir, filename, max_age=max_age)
        if filename.startswith(HASHED_ASSETS):
            response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response

    @app.get("/")
    @public
    def app_root():
        return index(app_dir)

    @app.get("/<path:route>")
    @public
    def app_route(route: str):
        # A name with a dot in its last part is a file (favicon.ico, robots.txt), never a page.
        if route == "api" or route.startswith(("api/", "static/")) or "." in route.rsplit("/", 1)[-1]:
            abort(404)
        return index(app_dir)
