"""Fixtures for the Python-client interop suite: the chat example server (one for the session,
or a fresh one for a test of its own), a record of the exceptions that client threads die with
(signalrcore runs its transports on threads, whose errors would otherwise only reach stderr),
and a fix for signalrcore's slow stop()."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from signalrcore.transport.sockets.base_socket_client import BaseSocketClient

HERE = Path(__file__).resolve().parent

# `cargo build -p chat` puts the binary here; CHAT_BIN overrides it.
DEFAULT_CHAT_BIN = HERE / ".." / ".." / "target" / "debug" / "chat"

# How long the server may take to print its address.
START_TIMEOUT_S = 15.0

# How long it gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT_S = 5.0

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


@dataclass
class ChatServer:
    """A running chat example."""

    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    log_path: Path

    @property
    def hub_url(self) -> str:
        """The URL of the chat hub, as a client is given it."""
        return f"{self.base_url}/chat"

    def log_tail(self, lines: int = 40) -> str:
        """The end of what the server wrote on stderr, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty server log)"


def _drain(stream, lines: queue.Queue[str | None]) -> None:
    """Hands stdout lines over until the server closes it, so that its pipe never fills."""
    try:
        for raw in iter(stream.readline, b""):
            lines.put(raw.decode("utf-8", errors="replace"))
    finally:
        lines.put(None)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


@contextlib.contextmanager
def run_chat_server(log_dir: Path) -> Iterator[ChatServer]:
    """Starts a chat example on a port the OS picks, its stderr in `log_dir`, and stops it on
    exit, failing the test if it died in between."""
    binary = Path(os.environ.get("CHAT_BIN", DEFAULT_CHAT_BIN)).resolve()
    if not binary.is_file():
        pytest.fail(f"no chat binary at {binary}: run `cargo build -p chat` or set CHAT_BIN")

    log_path = log_dir / "stderr.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(binary), "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True).start()

    try:
        try:
            first = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            first = None
        match = LISTENING.fullmatch((first or "").strip())
        if match is None:
            _stop(process)
            pytest.fail(
                f"{binary} did not print `listening on http://127.0.0.1:PORT` within "
                f"{START_TIMEOUT_S} s (first line: {first!r}, exit code: {process.poll()})\n"
                f"{log_path.read_text(errors='replace')}"
            )
        server = ChatServer(process, match.group(1), int(match.group(2)), log_path)
        yield server
        exited = process.poll()
        assert exited is None, (
            f"the chat server died during the tests (exit code {exited}):\n{server.log_tail()}"
        )
    finally:
        _stop(process)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="session")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    """Starts the chat example on a port the OS picks, and stops it when the session ends."""
    with run_chat_server(tmp_path_factory.mktemp("chat-server")) as server:
        yield server


@pytest.fixture
def fresh_chat(tmp_path: Path) -> Iterator[ChatServer]:
    """A chat example of the test's own, started for it and stopped after it: nothing else has
    connected to it or called it (for tests that count, such as /metrics)."""
    with run_chat_server(tmp_path) as server:
        yield server


@pytest.fixture
def chat(chat_server: ChatServer) -> ChatServer:
    """The chat server, checked to be still running before each test."""
    exited = chat_server.process.poll()
    if exited is not None:
        pytest.fail(f"the chat server has exited (code {exited}):\n{chat_server.log_tail()}")
    return chat_server


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    """Exceptions that killed a thread during the test (signalrcore's transports run on
    threads; e.g. a failed HTTP send during the handshake ends its long-polling thread)."""
    errors: list[BaseException] = []
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            errors.append(args.exc_value)

    threading.excepthook = hook
    try:
        yield errors
    finally:
        threading.excepthook = previous


@pytest.fixture(autouse=True)
def socket_shutdown_on_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes signalrcore's stop() return at once on WebSockets and Server-Sent Events.

    signalrcore 1.0.2 stops these transports by closing its socket and joining its receive
    thread. On Linux, close() does not wake a thread blocked in recv() on that socket (and
    sends nothing to the server, the blocked call still holding the socket), so stop() returns
    only when the server next sends something: its keep-alive Ping, 15 s later. Shutting the
    socket down first (what a close() is expected to do) wakes the receive thread, which then
    exits quietly as signalrcore intends for a closing client.
    """
    original = BaseSocketClient.dispose

    def dispose(self: BaseSocketClient) -> None:
        sock = getattr(self, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return original(self)

    monkeypatch.setattr(BaseSocketClient, "dispose", dispose)
