"""The smallest Flask app that answers JSON: the floor under every service endpoint (bench/baselines.py)."""
from flask import Flask


def create_app() -> Flask:
    """One endpoint, `/ping`, answering a small JSON object; nothing else."""
    app = Flask(__name__)

    @app.get("/ping")
    def ping():
        return {"ok": True}

    return app
