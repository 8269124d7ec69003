from slack_bolt.context.ack.async_ack import AsyncAck


async def handle_open_link(ack: AsyncAck) -> None:
    """URL buttons still send an action; Slack wants it acked."""
    await ack()
