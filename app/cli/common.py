"""Helpers shared by the command modules."""

import sys

import click


def fail(message: str) -> None:
    """Print a user-facing error (Chinese) and exit non-zero."""
    click.echo(f"错误：{message}", err=True)
    sys.exit(1)
