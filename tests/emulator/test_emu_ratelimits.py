"""Emulated Slack Web API rate limits, seen by the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.clock import FakeClock
from slack_emulator import RateLimitHit, SlackEmulator


class Clock:
    """A time source that only moves when told."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(emu: SlackEmulator) -> AsyncWebClient:
    # No retry handlers: a 429 surfaces as SlackApiError instead of being retried.
    return AsyncWebClient(token=emu.bot_token, base_url=emu.base_url, retry_handlers=[])


async def limited(coro) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await coro
    err = info.value
    assert err.response.status_code == 429
    assert err.response.data == {"ok": False, "error": "ratelimited"}
    return err


def retry_after(err: SlackApiError) -> int:
    value = int(err.response.headers["Retry-After"])
    assert value >= 1
    return value


async def test_limits_off_by_default(emu: SlackEmulator, client: AsyncWebClient) -> None:
    assert not emu.rate_limits_enabled
    gen = emu.channel_by_name("general").id
    for i in range(10):
        assert (await client.chat_postMessage(channel=gen, text=f"m{i}"))["ok"]
    for _ in range(25):
        await client.conversations_info(channel=gen)
    assert len(emu.messages(gen)) == 10
    assert emu.rate_limited == [] and emu.rate_limits_drawn() == 0


async def test_post_burst_then_429_then_refill(
    emu: SlackEmulator, client: AsyncWebClient, clock: Clock
) -> None:
    emu.enable_rate_limits(clock.now)
    gen = emu.channel_by_name("general").id
    first = await client.chat_postMessage(channel=gen, text="one")
    await client.chat_postMessage(channel=gen, text="two")
    # A thread reply counts against the channel too.
    await client.chat_postMessage(channel=gen, text="reply", thread_ts=first["ts"])
    err = await limited(client.chat_postMessage(channel=gen, text="refused"))
    assert retry_after(err) == 1
    assert not any("refused" in m.text for m in emu.channels[gen].messages)
    assert emu.rate_limited == [RateLimitHit("chat.postMessage", gen, clock.t)]

    clock.advance(0.5)  # half a token: still refused, Retry-After rounds up to 1
    assert retry_after(await limited(client.chat_postMessage(channel=gen, text="x"))) == 1
    clock.advance(0.5)
    assert (await client.chat_postMessage(channel=gen, text="after a second"))["ok"]
    await limited(client.chat_postMessage(channel=gen, text="x"))

    clock.advance(60)  # refills to the burst size, not beyond
    for i in range(3):
        await client.chat_postMessage(channel=gen, text=f"burst {i}")
    await limited(client.chat_postMessage(channel=gen, text="x"))
    assert emu.rate_limits_drawn() == 4
    assert emu.rate_limits_drawn("chat.postMessage", gen) == 4
    assert emu.rate_limits_drawn("chat.update") == 0
    assert emu.call_counts[("chat.postMessage", gen)] == 7


async def test_channels_have_separate_buckets(
    emu: SlackEmulator, client: AsyncWebClient, clock: Clock
) -> None:
    emu.enable_rate_limits(clock.now)
    gen = emu.channel_by_name("general").id
    other = emu.add_channel("other")
    for i in range(3):
        await client.chat_postMessage(channel=gen, text=f"g{i}")
    await limited(client.chat_postMessage(channel=gen, text="x"))
    for i in range(3):
        assert (await client.chat_postMessage(channel=other, text=f"o{i}"))["ok"]
    await limited(client.chat_postMessage(channel=other, text="x"))
    assert emu.rate_limits_drawn(channel=gen) == 1
    assert emu.rate_limits_drawn(channel=other) == 1
    # Other methods have their own (per-method) buckets: posting did not use them up.
    assert (await client.chat_update(channel=gen, ts=emu.messages(gen)[0].ts, text="e"))["ok"]


async def test_dm_by_user_id_counts_against_the_dm(
    emu: SlackEmulator, client: AsyncWebClient, clock: Clock
) -> None:
    emu.enable_rate_limits(clock.now)
    dm = (await client.chat_postMessage(channel="UALICE", text="1"))["channel"]
    assert dm.startswith("D")
    await client.chat_postMessage(channel=dm, text="2")
    await client.chat_postMessage(channel="UALICE", text="3")
    await limited(client.chat_postMessage(channel="UALICE", text="x"))
    await limited(client.chat_postMessage(channel=dm, text="x"))
    assert [m.text for m in emu.dms("alice")] == ["1", "2", "3"]
    assert emu.rate_limits_drawn(channel=dm) == 2
    assert emu.rate_limits_drawn(channel="UALICE") == 2
    assert all(hit.channel == dm for hit in emu.rate_limited)
    assert emu.call_counts[("chat.postMessage", dm)] == 3
    # Bob's DM is another conversation.
    assert (await client.chat_postMessage(channel="UBOB", text="hi bob"))["ok"]


async def test_workspace_post_limit_and_no_state_change(
    emu: SlackEmulator, client: AsyncWebClient, clock: Clock
) -> None:
    emu.enable_rate_limits(clock.now, post_workspace_per_minute=4)
    gen = emu.channel_by_name("general").id
    other = emu.add_channel("other")
    for cid in (gen, gen, other, other):
        await client.chat_postMessage(channel=cid, text="x")
    channels_before = set(emu.channels)
    err = await limited(client.chat_postMessage(channel="UBOB", text="refused"))
    assert retry_after(err) == 15  # 4/min: one token every 15 s
    # The refused post opened no DM and stored nothing.
    assert set(emu.channels) == channels_before and emu.dms("bob") == []
    assert emu.rate_limited[-1] == RateLimitHit("chat.postMessage", "UBOB", clock.t)
    clock.advance(15)
    dm = (await client.chat_postMessage(channel="UBOB", text="now"))["channel"]
    assert emu.rate_limits_drawn(channel=dm) == 1  # the earlier hit, recorded by user id


async def test_tier2_method_per_minute(
    emu: SlackEmulator, client: AsyncWebClient, clock: Clock
) -> None:
    emu.enable_rate_limits(clock.now)
    for i in range(20):
        assert (await client.conversations_create(name=f"inc-{i}"))["ok"]
    err = await limited(client.conversations_create(name="inc-refused"))
    assert retry_after(err) == 3  # 20/min: one token every 3 s
    assert not any(c.name == "inc-refused" for c in emu.channels.values())
    # Tier 3 method, separate bucket: unaffected.
    gen = emu.channel_by_name("general").id
    assert (await client.conversations_info(channel=gen))["ok"]
    clock.advance(2)
    await limited(client.conversations_create(name="inc-refused"))
    clock.advance(1)
    assert (await client.conversations_create(name="inc-20"))["ok"]
    await limited(client.conversations_create(name="inc-21"))
    assert emu.rate_limits_drawn("conversations.create") == 3
    assert emu.rate_limits_drawn("conversations.create", channel=gen) == 0


async def test_overrides_and_unlimited_methods(
    emu: SlackEmulator, client: AsyncWebClient, clock: Clock
) -> None:
    emu.enable_rate_limits(
        clock.now,
        method_limits={"conversations.history": 1, "apps.connections.open": None},
    )
    gen = emu.channel_by_name("general").id
    assert (await client.conversations_history(channel=gen))["ok"]
    err = await limited(client.conversations_history(channel=gen))
    assert retry_after(err) == 60
    assert emu.rate_limited[-1] == RateLimitHit("conversations.history", gen, clock.t)
    app = AsyncWebClient(base_url=emu.base_url, retry_handlers=[])
    for _ in range(5):
        assert (await app.apps_connections_open(app_token=emu.app_token))["ok"]
    for _ in range(30):  # users.list is not in the emulator's table: never limited
        assert (await client.users_list())["ok"]


async def test_tier1_connections_open(emu: SlackEmulator, clock: Clock) -> None:
    emu.enable_rate_limits(clock.now)
    app = AsyncWebClient(base_url=emu.base_url, retry_handlers=[])
    assert (await app.apps_connections_open(app_token=emu.app_token))["ok"]
    err = await limited(app.apps_connections_open(app_token=emu.app_token))
    assert retry_after(err) == 60
    assert len(emu.tickets) == 1  # the refused call issued no ticket


async def test_injected_faults_take_precedence(
    emu: SlackEmulator, client: AsyncWebClient, clock: Clock
) -> None:
    emu.enable_rate_limits(clock.now)
    gen = emu.channel_by_name("general").id
    emu.rate_limit("chat.postMessage", times=2, retry_after=7)
    for _ in range(2):
        assert retry_after(await limited(client.chat_postMessage(channel=gen, text="x"))) == 7
    assert emu.rate_limits_drawn() == 0  # faults are not emulated limits, and took no token
    for i in range(3):
        await client.chat_postMessage(channel=gen, text=f"{i}")
    emu.fail_method("chat.postMessage", error="fatal_error", status=200)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=gen, text="x")
    assert info.value.response["error"] == "fatal_error"
    await limited(client.chat_postMessage(channel=gen, text="x"))
    assert emu.rate_limits_drawn() == 1
    emu.disable_rate_limits()
    assert (await client.chat_postMessage(channel=gen, text="unlimited again"))["ok"]


async def test_constructor_switch_with_fake_clock() -> None:
    clock = FakeClock()
    emu = SlackEmulator(rate_limits=True, now=clock.now)
    emu.add_user("UALICE", name="alice")
    gen = emu.add_channel("general", members=["UALICE"])
    async with emu:
        client = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url, retry_handlers=[])
        for i in range(3):
            await client.chat_postMessage(channel=gen, text=f"{i}")
        await limited(client.chat_postMessage(channel=gen, text="x"))
        await clock.advance(1)
        assert (await client.chat_postMessage(channel=gen, text="ok"))["ok"]
        assert emu.rate_limited == [RateLimitHit("chat.postMessage", gen, clock.now() - 1)]
