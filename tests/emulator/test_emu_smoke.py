from slack_bolt.async_app import AsyncApp

from slack_emulator import SlackEmulator


async def test_smoke(emu: SlackEmulator, app: AsyncApp) -> None:
    @app.command("/incident")
    async def cmd(ack, body, client):
        await ack("hello " + body["text"])
        await client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal", "callback_id": "m", "title": {"type": "plain_text", "text": "New"},
            "submit": {"type": "plain_text", "text": "Go"},
            "blocks": [{"type": "input", "block_id": "t", "label": {"type": "plain_text", "text": "Title"},
                        "element": {"type": "plain_text_input", "action_id": "ti"}}]})

    @app.view("m")
    async def sub(ack, view, client):
        await ack()
        await client.chat_postMessage(channel="general" and emu.channel_by_name("general").id,
                                      text="got " + view["state"]["values"]["t"]["ti"]["value"])

    alice = emu.user("alice")
    gen = emu.channel_by_name("general").id
    res = await alice.slash_command("/incident", "help", channel=gen)
    assert res.text == "hello help"
    await emu.wait_for(lambda: alice.current_view())
    await alice.fill({"Title": "db down"})
    r = await alice.submit()
    assert r.response_action is None
    m = await emu.wait_message(gen, contains="got db down")
    assert m.user == emu.bot_user_id
