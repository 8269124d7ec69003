"""Small typed context carried in button values and private_metadata."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from app.domain.errors import InvalidInput


class _Ctx(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def parse(cls, raw: str | None):
        try:
            return cls.model_validate_json(raw or "{}")
        except ValidationError:
            raise InvalidInput(
                "This button or form is from an older version of Beacon. "
                "Use `/incident list` to find the incident."
            ) from None


class IncidentRef(_Ctx):
    """Button value on a card: which incident."""

    incident_id: str


class SnoozeChoice(_Ctx):
    incident_id: str
    seconds: int | None = None  # None: ask in a modal


class DeclareContext(_Ctx):
    """private_metadata of the declare modal."""

    channel_id: str | None = None
    source_channel: str | None = None
    source_ts: str | None = None
    source_permalink: str | None = None
    response_url: str | None = None  # the slash command's that opened it: the answer goes there
    at: float | None = None  # when that command came (the response_url lives 30 minutes)


class IncidentModalContext(_Ctx):
    """private_metadata of resolve / snooze modals."""

    incident_id: str
    channel_id: str | None = None


class ApprovalRef(_Ctx):
    """Approve / Deny button value, and the Deny modal's private_metadata."""

    approval_id: str


class FeedbackVote(_Ctx):
    """A feedback button's value: which result, which rating."""

    investigation_id: str
    rating: str


class RoleClaim(_Ctx):
    """A Claim <role> button's value on the incident channel summary."""

    incident_id: str
    role: str


class RollupRef(_Ctx):
    """The Acknowledge all button on a storm rollup: which rollup message."""

    rollup_id: str


class RollupAction(_Ctx):
    """One option of a rollup row's ⋯ menu: which incident, which verb."""

    incident_id: str
    verb: str


class CardAction(_Ctx):
    """One option of a card's More ⋯ menu: which incident, which verb."""

    incident_id: str
    verb: str
