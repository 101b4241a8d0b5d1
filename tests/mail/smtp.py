"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), which can be stopped and started."""

import asyncio
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message it accepts; can refuse recipients or be slow."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.delay = 0.0
        # close each connection after it has carried this many messages (0: never), as a
        # server with a limit per connection, or one that restarts, does
        self.close_after = 0
        self.sessions: list[object] = []  # the SMTP session (connection) of each message
        # answer 421 (closing) to the next message on a connection that has carried this many
        self.busy_after = 0
        # once this many messages were accepted, answer 421 (shutting down) to every next one,
        # on any connection: a server going down (0: never)
        self.down_after = 0
        self.lock = threading.Lock()

    @property
    def connections(self) -> int:
        """How many connections carried messages."""
        return len({id(session) for session in self.sessions})

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.down_after and len(self.messages) >= self.down_after:
            return "421 4.3.2 Service shutting down"
        on_this_connection = sum(1 for seen in self.sessions if seen is session)
        if self.busy_after and on_this_connection >= self.busy_after:
            return "421 4.7.0 Too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(
                message_from_bytes(envelope.original_content, policy=policy.default)
            )
            self.raw.append(envelope.original_content)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.sessions.append(session)
            on_this_connection = sum(1 for seen in self.sessions if seen is session)
        if self.close_after and on_this_connection >= self.close_after:
            # after the reply (written before the loop runs this), without a goodbye
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 Message accepted for delivery"


class LocalSMTPServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mailers_setting(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": self.host, "port": self.port, "timeout": 5},
            }
        }
