"""The Celery app, created from the Flask app's config (Flask's Celery pattern).

Run a worker with `celery -A tasks.worker worker` and beat with
`celery -A tasks.worker beat`.
"""

from pathlib import Path

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app bound to `app`: every task runs in its app context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    _ensure_broker_folders(app.config["CELERY"])
    celery_app.set_default()
    celery_app.flask_app = app  # for beat's scheduler (tasks.beat), which runs outside tasks
    app.extensions["celery"] = celery_app
    return celery_app


def _ensure_broker_folders(settings: dict) -> None:
    """The embedded (filesystem) broker needs its folders to exist."""
    if str(settings.get("broker_url", "")).startswith("filesystem://"):
        options = settings.get("broker_transport_options", {})
        for key in ("data_folder_in", "data_folder_out", "processed_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
