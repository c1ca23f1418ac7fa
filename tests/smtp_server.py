"""A real SMTP server on loopback for the tests (aiosmtpd), that can be told to refuse
some recipients for now (451) or for good (550), and to drop the connection after a
number of messages."""

from __future__ import annotations

import email.parser
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    def message(self) -> EmailMessage:
        parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Behaviour:
    later: set[str] = field(default_factory=set)  # recipients answered 451 at RCPT
    never: set[str] = field(default_factory=set)  # recipients answered 550 at RCPT
    later_times: int = 10 ** 9  # how many times a `later` recipient is refused before it is taken
    drop_after: int | None = None  # close the connection when this many messages were taken, once
    lose_answer_of: int | None = None  # take this message (1-based) but close before answering


class Handler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.behaviour = Behaviour()
        self.refusals: dict[str, int] = {}
        self.lock = threading.Lock()
        self.dropped = False

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd's API)
        plain = address.lower()
        if plain in self.behaviour.never:
            return "550 5.1.1 no such mailbox here"
        if plain in self.behaviour.later:
            with self.lock:
                count = self.refusals.get(plain, 0)
                self.refusals[plain] = count + 1
            if count < self.behaviour.later_times:
                return "451 4.2.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        drop = self.behaviour.drop_after
        if drop is not None and len(self.received) >= drop and not self.dropped:
            self.dropped = True
            server.transport.close()  # after `drop` messages, the connection goes
            return "421 4.3.0 closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                          or envelope.content))
            count = len(self.received)
        if self.behaviour.lose_answer_of == count:
            server.transport.close()  # the message is taken, its answer never comes
            return "250 lost"
        return f"250 2.0.0 queued as {count:06d}"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address.lower() in (a.lower() for a in r.recipients)]


class SmtpServer:
    def __init__(self) -> None:
        self.handler = Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=_free_port(), enable_SMTPUTF8=True,
                                     data_size_limit=50 * 1024 * 1024)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.controller.stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.controller.port}"
