"""One connection to the mail server, handing over one message at a time.

Each message goes through MAIL, RCPT and DATA by hand (not smtplib's sendmail) so that
the run knows at which step something went wrong: a refusal or a dropped connection
before the message's last line means the server does not have it; a connection lost
while waiting for the answer to DATA means it may have it: that message is in doubt.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from builder.errors import SetupProblem
from builder.model import SmtpSettings

PORTS = {"starttls": 587, "tls": 465, "none": 25}
TIMEOUT = 60  # seconds without an answer: the connection counts as dropped


class Temporary(Exception):
    """Not now (4xx, a dropped connection before the message was handed over): try again."""


class Unreachable(Temporary):
    """No connection to the server at all: the run stops, the rest stays pending."""


class Permanent(Exception):
    """Never (5xx for this recipient)."""


class InDoubt(Exception):
    """The connection was lost after the whole message went out, before the server answered."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)

    @classmethod
    def from_settings(cls, settings: SmtpSettings, password: str) -> Server:
        return cls(settings.host, settings.port or PORTS[settings.security], settings.security, settings.user,
                   password)

    def __str__(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


class Transport:
    def __init__(self, server: Server, timeout: float = TIMEOUT) -> None:
        self.server = server
        self.timeout = timeout
        self.smtp: smtplib.SMTP | None = None
        # Where the message in hand is: "before" its end went out (the server cannot have
        # it), or "awaiting" the server's answer to it (the server may have it).
        self.stage = "before"

    def open(self) -> None:
        """Connect and log in now: what is wrong with the settings shows before any message."""
        self._connection()

    def deliver(self, sender: str, recipient: str, message: bytes, before_data: Callable[[], None]) -> str:
        """The server's answer to the message; Temporary, Permanent or InDoubt otherwise.
        `before_data` is called once the server has taken the recipient, just before the
        message goes out: from then on the server may come to have it."""
        self.stage = "before"
        if not recipient.isascii():  # the subscriber list gives the ASCII form of every address
            raise Permanent("an address in other than ASCII letters cannot be written to")
        smtp = self._connection()
        try:
            self._step(smtp, smtp.mail(sender), "the sender")
            self._step(smtp, smtp.rcpt(recipient), "the recipient", accepted=(250, 251, 252))
            before_data()
            self._step(smtp, smtp.docmd("DATA"), "the message", accepted=(354,))
            smtp.send(_dot_stuffed(message))
        except (smtplib.SMTPException, OSError) as exc:  # the message's end never went out
            self._drop()
            raise Temporary(f"the connection was lost ({_what(exc)})") from None
        self.stage = "awaiting"
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise InDoubt(f"the connection was lost while the server took the message ({_what(exc)})") from None
        self.stage = "before"
        if 200 <= code < 300:
            return f"{code} {_text(reply)}"
        if 400 <= code < 600:
            self._reset(smtp)
            raise (Temporary if code < 500 else Permanent)(f"{code} {_text(reply)}")
        self._drop()
        raise InDoubt(f"the server's answer to the message cannot be read ({code} {_text(reply)})")

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        server = self.server
        try:
            if server.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
                if server.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo_or_helo_if_needed()
            if server.user:
                if server.security == "none" and server.host not in ("localhost", "127.0.0.1", "::1"):
                    smtp.close()
                    raise SetupProblem(f"logging in to {server} would send the password unencrypted: set "
                                       "smtp.security to starttls or tls, or leave out smtp.user")
                if not smtp.has_extn("auth"):
                    smtp.close()
                    raise SetupProblem(f"the mail server {server} does not take a login (it offers no AUTH): "
                                       "leave out smtp.user and NEWSLETTER_SMTP_USER")
                smtp.login(server.user, server.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SetupProblem(f"the mail server {server} refused the login of '{server.user}': "
                               f"{exc.smtp_code} {_text(exc.smtp_error)}; check NEWSLETTER_SMTP_USER and "
                               "NEWSLETTER_SMTP_PASSWORD") from None
        except smtplib.SMTPNotSupportedError:  # STARTTLS asked for, not offered
            raise SetupProblem(f"the mail server {server} does not offer STARTTLS: set smtp.security to 'tls' "
                               "(port 465), or to 'none' only on a network you trust") from None
        except ssl.SSLError as exc:
            raise SetupProblem(f"the secure connection to {server} failed: {exc.reason or exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Unreachable(f"the mail server {server} cannot be reached ({_what(exc)})") from None
        self.smtp = smtp
        return smtp

    def _step(self, smtp: smtplib.SMTP, answer: tuple[int, bytes], what: str,
              accepted: tuple[int, ...] = (250,)) -> None:
        code, reply = answer
        if code in accepted:
            return
        if code == -1 or code == 421:  # the server is closing the connection
            self._drop()
            raise Temporary(f"{code} {_text(reply)}")
        self._reset(smtp)
        raise (Temporary if 400 <= code < 500 else Permanent)(f"{code} {_text(reply)} ({what})")

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None


def _dot_stuffed(message: bytes) -> bytes:
    """The message as DATA sends it (RFC 5321 §4.5.2): CRLF line ends, a leading dot
    doubled, and the line with a single dot that ends it."""
    lines = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines) + b".\r\n"


def _text(reply: bytes | str) -> str:
    """A server's words as they may be shown and kept: one line, no control characters."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:300]


def _what(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return f"no answer within {TIMEOUT} s"
    return str(exc) or type(exc).__name__
