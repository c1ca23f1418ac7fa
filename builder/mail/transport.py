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
from dataclasses import dataclass

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
    password: str

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

    def deliver(self, sender: str, recipient: str, message: bytes) -> str:
        """The server's answer to the message; Temporary, Permanent or InDoubt otherwise."""
        smtp = self._connection()
        options: list[str] = []
        if not recipient.isascii():  # 张三@例子.中国: the server must say it takes such addresses
            if not smtp.has_extn("smtputf8"):
                raise Permanent(f"the mail server {self.server} does not take addresses in other than ASCII letters")
            options.append("SMTPUTF8")
        try:
            self._step(smtp, smtp.mail(sender, options), "the sender")
            self._step(smtp, smtp.rcpt(recipient), "the recipient", accepted=(250, 251, 252))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise Temporary(f"the connection was lost ({_what(exc)})") from None
        try:
            self._step(smtp, smtp.docmd("DATA"), "the message", accepted=(354,))
            smtp.send(_dot_stuffed(message))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:  # the message's end never went out
            self._drop()
            raise Temporary(f"the connection was lost ({_what(exc)})") from None
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise InDoubt(f"the connection was lost while the server took the message ({_what(exc)})") from None
        if code == 250:
            return f"{code} {_text(reply)}"
        self._reset(smtp)
        raise (Temporary if 400 <= code < 500 else Permanent)(f"{code} {_text(reply)}")

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
                smtp.login(server.user, server.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SetupProblem(f"the mail server {server} refused the login of '{server.user}': "
                               f"{exc.smtp_code} {_text(exc.smtp_error)}; check NEWSLETTER_SMTP_USER and "
                               "NEWSLETTER_SMTP_PASSWORD") from None
        except smtplib.SMTPNotSupportedError:
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
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:300]


def _what(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return f"no answer within {TIMEOUT} s"
    return str(exc) or type(exc).__name__
