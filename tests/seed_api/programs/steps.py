"""Steps as the predecessor's documentation writes them: @step options, FatalError and
RetryableError, sleep arguments, a workflow of steps run by start() in the local runtime."""

import asyncio
from datetime import UTC, datetime, timedelta

from pyworkflow import FatalError, RetryableError, sleep, start, step, workflow

LOG = []


@step()
async def validate_order(order_id: str) -> dict:
    LOG.append(("validate", order_id))
    return {"order_id": order_id, "valid": True}


@step(
    name="charge_card", max_retries=5, retry_delay=[1, 5, 30], timeout=30, metadata={"team": "pay"}
)
async def charge(order: dict) -> dict:
    LOG.append(("charge", order["order_id"]))
    return {**order, "charged": True}


@step(max_retries=3, retry_delay="exponential")
async def send_receipt(order: dict) -> str:
    LOG.append(("receipt", order["order_id"]))
    return f"receipt for {order['order_id']}"


@workflow()
async def process_order(order_id: str) -> str:
    order = await validate_order(order_id)
    order = await charge(order)
    return await send_receipt(order)


async def main() -> None:
    # the options are kept on the wrapper
    assert charge.__step__ is True
    assert charge.__step_name__ == "charge_card"
    assert charge.__step_max_retries__ == 5
    assert charge.__step_retry_delay__ == [1, 5, 30]
    assert charge.__step_timeout__ == 30
    assert charge.__step_metadata__ == {"team": "pay"}
    assert send_receipt.__step_retry_delay__ == "exponential"

    # called outside a workflow, a step simply runs
    assert await validate_order("direct") == {"order_id": "direct", "valid": True}

    # errors
    fatal = FatalError("Invalid card number", card="4242")
    assert fatal.message == "Invalid card number"
    assert fatal.metadata == {"card": "4242"}
    assert RetryableError("Rate limited").get_retry_delay_seconds() is None
    assert RetryableError("Rate limited", retry_after=60).get_retry_delay_seconds() == 60
    assert RetryableError("Rate limited", retry_after="30s").get_retry_delay_seconds() == 30
    after = RetryableError("later", retry_after=timedelta(minutes=5))
    assert after.get_retry_delay_seconds() == 300
    assert after.retry_after == timedelta(minutes=5)
    soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=120)
    assert 100 < RetryableError("at", retry_after=soon).get_retry_delay_seconds() <= 120
    try:
        RetryableError("bad", retry_after="soon")
    except ValueError:
        pass
    else:
        raise AssertionError("an invalid retry_after must raise ValueError")

    # sleep: a naive datetime is refused, a past one too; outside a workflow it just sleeps
    try:
        await sleep(datetime(2025, 12, 25, 9, 0))
    except TypeError:
        pass
    else:
        raise AssertionError("a naive datetime must raise TypeError")
    try:
        await sleep(datetime(2000, 1, 1, tzinfo=UTC))
    except ValueError:
        pass
    else:
        raise AssertionError("a past datetime must raise ValueError")
    await sleep("1s")
    await sleep(datetime.now(UTC) + timedelta(milliseconds=50), name="short")

    # a workflow of steps runs to its end inside start() in the local runtime
    run_id = await start(process_order, "order-1")
    assert isinstance(run_id, str)
    assert LOG == [
        ("validate", "direct"),
        ("validate", "order-1"),
        ("charge", "order-1"),
        ("receipt", "order-1"),
    ], LOG
    print("steps: ok")


if __name__ == "__main__":
    asyncio.run(main())
