"""Coaching yourself: every interview question you recorded, with your answer and what you
would answer better, for rehearsal (the seed: note the questions and your answers, and
whether you would answer differently another time).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from afterview.engine.domain.state import Application


@attrs.frozen
class PracticeQuestion:
    application: str
    company: str
    role: str
    round: int
    asked_at: datetime
    question: str
    answer: str | None
    better: str | None


def practice_questions(applications: Iterable[Application],
                       company: str | None = None) -> list[PracticeQuestion]:
    """Questions from held interviews, newest interview first (questions of one interview
    in the order they were asked); ``company`` keeps companies whose name contains it,
    ignoring case."""
    wanted = company.casefold() if company else None
    found: list[tuple[datetime, int, PracticeQuestion]] = []
    for app in applications:
        if wanted is not None and wanted not in app.company.casefold():
            continue
        for interview in app.interviews:
            if interview.held_at is None:
                continue
            for index, asked in enumerate(interview.questions):
                found.append((interview.held_at, index, PracticeQuestion(
                    app.id, app.company, app.role, interview.round, interview.held_at,
                    asked.question, asked.answer, asked.better)))
    # Newest first; ties (same moment) keep question order, then application id for stability.
    found.sort(key=lambda item: (-item[0].timestamp(), item[2].application, item[1]))
    return [item[2] for item in found]
