"""Command-line interface (`flask …`), one module per area; each has `register(app)`.

Other tools and scripts rely on the command names and options.
"""

from flask import Flask

from app.cli import backup, cascade, cases, evaluation, lists, reminders, reports, setup


def init_app(app: Flask) -> None:
    """Register every area's commands."""
    setup.register(app)
    reminders.register(app)
    lists.register(app)
    reports.register(app)
    cases.register(app)
    backup.register(app)
    evaluation.register(app)
    cascade.register(app)
