"""What a person types reaches Beacon as Slack sends it: /incident has should_escape on, so a
typed `@bob` arrives as `<@UBOB|bob>` and `&`, `<`, `>` as entities."""

from __future__ import annotations

from tests.e2e.conftest import World


async def test_typed_mentions_assign_on_create_and_with_assign(world: World) -> None:
    ch = world.channel("incidents")
    alice = world.alice
    sent = await alice.slash_command(
        "/incident", "create Checkout down --sev P3 --assignee @bob", channel=ch
    )
    assert sent.payload["text"] == "create Checkout down --sev P3 --assignee <@UBOB|bob>"
    card = await world.card("incidents", "INC-1")
    assert "*Assignee*\n<@UBOB>" in card.all_text()

    await alice.slash_command("/incident", "create Cart slow --sev P3", channel=ch)
    await world.card("incidents", "INC-2")
    await alice.slash_command("/incident", "assign INC-2 @bob", channel=ch)
    await alice.wait_ephemeral("*INC-2* is now assigned to <@UBOB>.", ch)


async def test_typed_markup_is_shown_as_typed_not_double_escaped(world: World) -> None:
    ch = world.channel("incidents")
    await world.alice.slash_command("/incident", "create A & B <down> --sev P3", channel=ch)
    card = await world.card("incidents", "INC-1")
    assert "A &amp; B &lt;down&gt;" in card.all_text()
    assert "&amp;amp;" not in card.all_text() and "&amp;lt;" not in card.all_text()
