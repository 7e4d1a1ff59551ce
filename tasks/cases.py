"""Celery tasks of the case workflow."""

from celery import shared_task


@shared_task(name="cases.bulk_apply")
def bulk_apply(case_ids, actor_user_id, operation, comment=None, request_id=None):
    """Apply a bulk transition or urge; each case in its own transaction, safe to re-run."""
    from app.services.bulk import bulk_apply as apply

    return apply(case_ids, actor_user_id, operation, comment=comment, request_id=request_id)
