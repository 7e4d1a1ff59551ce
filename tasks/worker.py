"""Entry point for `celery -A tasks.worker worker|beat`: builds the Flask app once."""

from app import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]

import tasks.cases  # noqa: E402  (registers cases.bulk_apply)
import tasks.notifications  # noqa: E402  (notifications.deliver_pending)
import tasks.outbox  # noqa: E402  (outbox.relay_pending)
import tasks.reminders  # noqa: E402  (reminders.tick)
import tasks.reports  # noqa: E402, F401  (reports.generate, reports.generate_scheduled)
