"""The chat hub through pysignalr (PyPI `pysignalr`), an asyncio client.

What pysignalr 1.3.3 does, read from its source (site-packages/pysignalr):
- WebSockets only. Negotiate: `POST /chat/negotiate` without `negotiateVersion` (version 0);
  the `connectionId` goes into `?id=`; handshake version 1 (`JSONProtocol` or
  `MessagepackProtocol`).
- `run()` connects and then serves the connection until cancelled (it reconnects when the
  socket drops); cancelling it closes the WebSocket (close frame with code 1011, as the
  cancellation leaves websockets' `async with` by an exception, then waits for the server's).
  It never sends a SignalR Close message.
- `send(method, args, on_invocation)` returns once sent; with `on_invocation` the Invocation
  carries an invocationId and the Completion goes to `on_invocation(CompletionMessage)`, or to
  the `on_error` callback when it holds an error. Without it the call is fire-and-forget.
- `on("ReceiveMessage", handler)`: async handler called with the argument list.

These tests drive it from plain pytest functions through `asyncio.run`, each wait bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

import pytest
from pysignalr.client import SignalRClient
from pysignalr.messages import CompletionMessage
from pysignalr.protocol.json import JSONProtocol
from pysignalr.protocol.messagepack import MessagepackProtocol
from signalrcore.hub_connection_builder import HubConnectionBuilder
from signalrcore.types import HttpTransportType

from interop import MESSAGEPACK, NON_ASCII, TIMEOUT_S, Calls, id_in_url, unique

PROTOCOLS = [
    pytest.param(JSONProtocol, id="websockets-json"),
    pytest.param(MessagepackProtocol, id="websockets-messagepack", marks=MESSAGEPACK),
]


class HubError(Exception):
    """The server completed an invocation with an error."""


class Client:
    """A running pysignalr client plus what its callbacks have reported."""

    def __init__(self, client: SignalRClient, task: asyncio.Task) -> None:
        self.client = client
        self.task = task
        self.closed = asyncio.Event()

    async def invoke(self, method: str, *arguments):
        """Invokes a hub method and waits for its result."""
        completion: asyncio.Future[CompletionMessage] = asyncio.get_running_loop().create_future()

        async def on_completion(message: CompletionMessage) -> None:
            if not completion.done():
                completion.set_result(message)

        await self.client.send(method, list(arguments), on_invocation=on_completion)
        message = await asyncio.wait_for(completion, TIMEOUT_S)
        if message.error:
            raise HubError(message.error)
        return message.result

    @property
    def connection_url(self) -> str:
        # After negotiate pysignalr keeps the WebSocket URL, `?id=` included, here.
        return self.client._transport._url

    async def stop(self) -> None:
        """Cancels run(), which closes the WebSocket, and waits for it to end."""
        self.task.cancel()
        done, _ = await asyncio.wait({self.task}, timeout=TIMEOUT_S)
        assert done, f"pysignalr's run() did not end within {TIMEOUT_S} s of being cancelled"


@contextlib.asynccontextmanager
async def connect(hub_url: str, protocol_class) -> AsyncIterator[Client]:
    client = SignalRClient(
        hub_url, protocol=protocol_class(), connection_timeout=int(TIMEOUT_S), retry_count=1
    )
    opened = asyncio.Event()
    errors: list[CompletionMessage] = []

    async def on_open() -> None:
        opened.set()

    async def on_error(message: CompletionMessage) -> None:
        # Errors of invocations made with on_invocation come here instead (see Client.invoke).
        errors.append(message)

    client.on_open(on_open)
    client.on_error(on_error)
    task = asyncio.create_task(client.run())
    running = Client(client, task)
    try:
        opening = asyncio.create_task(opened.wait())
        await asyncio.wait({opening, task}, timeout=TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        opening.cancel()
        if not opened.is_set():
            if task.done() and task.exception() is not None:
                raise AssertionError(f"pysignalr did not connect: {task.exception()!r}")
            raise AssertionError(f"pysignalr did not connect within {TIMEOUT_S} s")
        yield running
        assert errors == [], f"unexpected error completions: {errors!r}"
    finally:
        if not task.done():
            await running.stop()


def receive_calls(client: Client, method: str) -> Calls:
    calls = Calls()

    async def handler(arguments: list) -> None:
        calls(arguments)

    client.client.on(method, handler)
    return calls


async def wait_for_call(calls: Calls, expected: list) -> None:
    # Calls.wait_for blocks: run it off the event loop, which delivers the calls.
    await asyncio.to_thread(calls.wait_for, expected)


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_echo_returns_non_ascii_text_unchanged(chat, protocol_class):
    async def scenario() -> None:
        async with connect(chat.hub_url, protocol_class) as client:
            assert await client.invoke("Echo", NON_ASCII) == NON_ASCII
            assert await client.invoke("Echo", "") == ""

    asyncio.run(scenario())


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_send_message_comes_back_as_receive_message(chat, protocol_class):
    async def scenario() -> None:
        async with connect(chat.hub_url, protocol_class) as client:
            received = receive_calls(client, "ReceiveMessage")
            text = unique("héllo from pysignalr")
            assert await client.invoke("SendMessage", "ada", text) is None
            await wait_for_call(received, ["ada", text])

            # Fire-and-forget (no invocationId): the broadcast still comes back.
            text = unique("fire and forget")
            await client.client.send("SendMessage", ["ada", text])
            await wait_for_call(received, ["ada", text])

    asyncio.run(scenario())


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_send_message_is_broadcast_to_every_connection(chat, protocol_class):
    async def scenario() -> None:
        async with (
            connect(chat.hub_url, protocol_class) as sender,
            connect(chat.hub_url, protocol_class) as other,
        ):
            at_sender = receive_calls(sender, "ReceiveMessage")
            at_other = receive_calls(other, "ReceiveMessage")
            text = unique("broadcast 📣")
            await sender.invoke("SendMessage", "grace", text)
            await wait_for_call(at_sender, ["grace", text])
            await wait_for_call(at_other, ["grace", text])

    asyncio.run(scenario())


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_get_connection_id_is_the_negotiated_id(chat, protocol_class):
    async def scenario() -> None:
        async with connect(chat.hub_url, protocol_class) as client:
            negotiated = id_in_url(client.connection_url)
            assert negotiated
            assert await client.invoke("GetConnectionId") == negotiated

    asyncio.run(scenario())


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_stop_closes_the_connection(chat, protocol_class):
    async def scenario() -> None:
        async with connect(chat.hub_url, protocol_class) as client:
            assert await client.invoke("Echo", "before stop") == "before stop"
            websocket = client.client._transport._ws
            await client.stop()
            assert websocket is not None
            await asyncio.wait_for(websocket.wait_closed(), TIMEOUT_S)
            # A clean closing handshake: the server answered the client's close frame with its
            # own. (Cancelled, pysignalr leaves websockets' `async with` by an exception, so the
            # client's close frame says 1011 rather than 1000.)
            sent, received = websocket.protocol.close_sent, websocket.protocol.close_rcvd
            assert sent is not None, "pysignalr sent no close frame"
            assert received is not None, f"the server sent no close frame (client sent {sent})"

    asyncio.run(scenario())


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_broadcast_reaches_a_signalrcore_client(chat, thread_errors, protocol_class):
    """pysignalr and signalrcore, both on WebSockets, on the same hub, hear each other."""
    other = HubConnectionBuilder().with_url(
        chat.hub_url, options={"transport": HttpTransportType.web_sockets}
    ).build()
    opened = threading.Event()
    other.on_open(opened.set)
    at_other = Calls()
    other.on("ReceiveMessage", at_other)
    other.start()
    try:
        assert opened.wait(TIMEOUT_S), f"signalrcore did not connect: {thread_errors!r}"

        async def scenario() -> None:
            async with connect(chat.hub_url, protocol_class) as client:
                at_client = receive_calls(client, "ReceiveMessage")
                text = unique("from pysignalr to signalrcore")
                await client.invoke("SendMessage", "ada", text)
                await wait_for_call(at_client, ["ada", text])
                await asyncio.to_thread(at_other.wait_for, ["ada", text])

                text = unique("from signalrcore to pysignalr")
                other.send("SendMessage", ["grace", text])
                await wait_for_call(at_client, ["grace", text])
                await asyncio.to_thread(at_other.wait_for, ["grace", text])

        asyncio.run(scenario())
    finally:
        stopping = threading.Thread(target=other.stop, daemon=True)
        stopping.start()
        stopping.join(TIMEOUT_S)
