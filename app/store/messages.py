"""Where Beacon's Slack messages for an incident are: one 'channel ts' per role, and the
incident's dedicated channel."""

from __future__ import annotations

from app.store.base import RedisStore


class MessageStore(RedisStore):
    async def record_message(
        self,
        incident_id: str,
        role: str,
        channel: str,
        ts: str,
        *,
        card: bool = False,
        permalink: str = "",
    ) -> None:
        keys = [self.keys.incident(incident_id), self.keys.incident_messages(incident_id)]
        await self._run("record_message", keys, [role, channel, ts, "1" if card else "", permalink])

    async def set_incident_channel(self, incident_id: str, channel: str) -> str:
        """Record the dedicated channel once; returns the one recorded ('' if no incident)."""
        keys = [self.keys.incident(incident_id), self.keys.incident_messages(incident_id)]
        keys.append(self.keys.channel_incident(channel))
        return str(await self._run("incident_channel", keys, [channel]))

    async def message_ref(self, incident_id: str, role: str) -> tuple[str, str] | None:
        raw = await self.redis.hget(self.keys.incident_messages(incident_id), role)
        if not raw:
            return None
        channel, ts = raw.split(" ", 1)
        return channel, ts

    async def messages(self, incident_id: str) -> dict[str, str]:
        return await self.redis.hgetall(self.keys.incident_messages(incident_id))
