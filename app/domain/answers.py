"""Answers to one person (what they asked for, or why not), given after the ack.

A listener never writes to Slack itself: it hands an `Answer` to `AnswerService`, which records
it durably (one XADD); the notifier delivers it in the person's own lane through the poster.
`ReplyTo` is where a declaration came from, carried with it so its confirmation survives a
crash.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from app.clock import Clock
from app.domain.results import Refused

# Slack takes a response_url for 30 minutes (and 5 uses); a little margin for the delivery.
RESPONSE_URL_TTL_S = 30 * 60 - 60


@dataclass(frozen=True)
class ToldRefusal:
    """A refusal a transition script recorded itself as an answer (a refused click costs one
    round trip): the script's outcome, worded when the answer is delivered."""

    subject: str  # the incident the person asked about
    outcome: Refused


@dataclass(frozen=True)
class Answer:
    """Text (and blocks) for one person: through `response_url` while it lives, else
    ephemeral in `channel`, else a DM. `replace_original`: the message the response_url
    belongs to is replaced (list paging)."""

    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    response_url: str | None = None
    channel: str | None = None
    replace_original: bool = False
    at: float = 0.0  # when the person acted: the response_url's clock starts then
    # Set when a script recorded a refusal as this answer (`text` is then empty); never dumped:
    # the script writes it beside the answer (app/store/answers.py reads it back).
    refused: ToldRefusal | None = None

    def dump(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in (None, False)}
        data.pop("refused", None)
        return json.dumps(data)

    @classmethod
    def load(cls, raw: str) -> Answer:
        data = json.loads(raw)
        return cls(**{k: v for k, v in data.items()
                      if k in cls.__dataclass_fields__ and k != "refused"})

    def url_alive(self, now: float) -> bool:
        return bool(self.response_url) and now - self.at < RESPONSE_URL_TTL_S


@dataclass(frozen=True)
class ReplyTo:
    """Where a declaration was made, so its confirmation goes back there: the response_url
    (slash command), the channel (ephemeral), none (a DM), or the source message's thread."""

    user: str
    channel: str | None = None
    response_url: str | None = None
    source_channel: str | None = None
    source_ts: str | None = None
    at: float = 0.0

    def dump(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v})

    @classmethod
    def load(cls, raw: str | None) -> ReplyTo | None:
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return None


class AnswerPort(Protocol):
    async def add_answer(self, answer: Answer) -> str: ...


class AnswerService:
    def __init__(self, store: AnswerPort, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def tell(self, answer: Answer) -> str:
        """Record the answer (one XADD); the notifier delivers it. Returns its stream id."""
        if not answer.at:
            answer = replace(answer, at=self.clock.now())
        return await self.store.add_answer(answer)
