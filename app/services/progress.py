"""进展反馈: a progress update with indicator actuals and evidence files, in one commit."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.extensions import db
from app.models import Case, EvidenceFile, Indicator, IndicatorActual, ProgressUpdate, utcnow
from app.services import outbox
from app.services.case_base import (
    InvalidIndicators,
    InvalidInput,
    InvalidPercent,
    add_history,
    case_facts,
    clean_text,
    get_visible_case,
    transaction,
)
from app.services.evidence import MAX_FILES, check_evidence, store
from workflows import permissions, subtasks
from workflows.errors import N_
from workflows.vocabulary import Actor


def add_progress(
    case_id: int,
    actor: Actor,
    *,
    note: str,
    percent: int,
    indicator_values: Mapping[Any, Any] | None = None,
    files: Sequence = (),
) -> ProgressUpdate:
    """Record a progress update with indicator actuals and evidence files, in one commit."""
    written: list[Path] = []
    try:
        with transaction():
            case = get_visible_case(case_id, actor, for_update=True)
            facts = case_facts(case, has_evidence=False)
            permissions.ensure("update_progress", facts, actor)
            # A partner unit's note is a contribution: only the lead unit sets the percent.
            lead = subtasks.sets_percent(facts, actor)
            # Inputs are judged only for someone who may act (404, then 403/409, then 422).
            note = clean_text(note, required_msgid=N_("Give a progress note."))
            if lead:
                percent = _percent(percent)
            elif percent not in (None, "") and _percent(percent) != case.percent_done:
                raise subtasks.PercentNotYours()
            else:
                percent = case.percent_done
            values = _indicator_values(case, indicator_values or {})
            files = [f for f in (files or ()) if f is not None and (f.filename or "").strip()]
            if len(files) > MAX_FILES:
                raise InvalidInput(N_("At most %(max)s files per update."), max=MAX_FILES)
            evidence = [check_evidence(f) for f in files]  # all checked before any is written
            now = utcnow()
            update = ProgressUpdate(
                case_id=case.id, author_id=actor.user_id, note=note, percent_done=percent,
                created_at=now,
            )
            db.session.add(update)
            db.session.flush()
            for indicator, value in values:
                db.session.add(
                    IndicatorActual(
                        indicator_id=indicator.id, progress_update_id=update.id, value=value,
                        recorded_at=now,
                    )
                )
            stored = []
            for item in evidence:
                path = store(item["data"])
                written.append(path)
                row = EvidenceFile(
                    case_id=case.id,
                    progress_update_id=update.id,
                    original_name=item["name"],
                    stored_name=path.name,
                    content_type=item["mime"],
                    size=len(item["data"]),
                    sha256=hashlib.sha256(item["data"]).hexdigest(),
                    uploaded_by_id=actor.user_id,
                    uploaded_at=now,
                )
                db.session.add(row)
                stored.append(row)
            db.session.flush()
            case.percent_done = percent
            case.last_progress_at = now
            extra = {} if lead else {"contribution": True}
            add_history(
                case,
                actor,
                "progress",
                comment=note,
                at=now,
                data={
                    "progress_update_id": update.id,
                    "percent": percent,
                    "indicators": {str(i.id): str(v) for i, v in values},
                    "evidence": [
                        {"id": r.id, "name": r.original_name, "size": r.size} for r in stored
                    ],
                    **extra,
                },
            )
            outbox.record_event(
                outbox.CASE_PROGRESS, case.id, actor_id=actor.user_id, progress_update_id=update.id
            )
        update.contribution = not lead  # for the caller's message (not a column)
    except BaseException:
        for path in written:  # the database never saw them: leave no orphan files
            path.unlink(missing_ok=True)
        raise
    return update


def _percent(value) -> int:
    if isinstance(value, bool):
        raise InvalidPercent()
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}\s*", value):
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidPercent()
    return value


def _indicator_values(case: Case, given: Mapping) -> list[tuple[Indicator, Decimal]]:
    """Validated (indicator, value) pairs; only indicators of this case."""
    if not isinstance(given, Mapping):
        raise InvalidIndicators()
    own = {i.id: i for i in case.indicators}
    pairs = []
    for key, raw in given.items():
        try:
            indicator = own[int(key)]
        except (KeyError, TypeError, ValueError):
            raise InvalidIndicators(
                N_("Indicator %(id)s is not a target of this case."), id=key
            ) from None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue  # left empty in the form: nothing reported
        try:
            if isinstance(raw, bool):
                raise InvalidOperation
            value = Decimal(str(raw).strip())
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise InvalidIndicators(
                N_("The value for %(name)s is not a number: %(value)s"),
                name=indicator.name,
                value=raw,
            ) from None
        if abs(value) >= Decimal(10) ** 14:  # Numeric(18, 4)
            raise InvalidIndicators(
                N_("The value for %(name)s is too large."), name=indicator.name
            )
        pairs.append((indicator, value))
    return pairs
