"""A domain refusal in Slack mrkdwn: people as mentions, times in each reader's time zone."""

from __future__ import annotations

from app.domain.refusals import Refusal, describe
from views.mrkdwn import date_time, time_of_day


class SlackNotation:
    def mention(self, user_id: str) -> str:
        return f"<@{user_id}>"

    def time(self, at: float) -> str:
        return time_of_day(at)

    def date_time(self, at: float) -> str:
        return date_time(at)

    def emphasis(self, text: str) -> str:
        return f"*{text}*"

    def command(self, text: str) -> str:
        return f"`{text}`"


SLACK = SlackNotation()


def refusal_text(refusal: Refusal) -> str:
    """What the person who was refused reads (an ephemeral, or the modal field's error)."""
    return describe(refusal, SLACK)
