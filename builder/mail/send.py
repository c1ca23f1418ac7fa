"""An issue to its subscribers: who gets it, then each message written to the ledger,
handed to the server, and written to the ledger again.

`plan` decides who is written to: the subscriber list less the suppressed, the
duplicates and those the ledger says have the issue (or may have it). `deliver` sends to
them one by one: a temporary refusal or a dropped connection is tried again a few times
with growing pauses and then left for the next run; a permanent refusal is recorded;
the run keeps to send.per_minute.
"""

from __future__ import annotations

import datetime as dt
import email.errors
import email.policy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from builder.mail.ledger import Ledger
from builder.mail.subscribers import Subscriber, SubscriberList
from builder.mail.transport import InDoubt, Permanent, Temporary, Transport, Unreachable

RETRIES = 3  # attempts of one message in one run, on temporary failures
BACKOFF = 2.0  # seconds before the second attempt, doubled each time after


@dataclass(frozen=True)
class Plan:
    recipients: tuple[Subscriber, ...]  # to be written to now
    done: tuple[tuple[Subscriber, str], ...]  # (subscriber, state): sent, failed or in doubt already
    skipped: tuple[tuple[Subscriber, str], ...]  # suppressed, duplicates: from the subscriber list


def plan(subscribers: SubscriberList, ledger: Ledger | None, issue: str, resend_in_doubt: bool = False) -> Plan:
    """`resend_in_doubt`: the messages an earlier run left in doubt are written again."""
    again = ("pending", "sending", "doubt") if resend_in_doubt else ("pending", "sending")
    recipients, done = [], []
    for subscriber in subscribers.subscribers:
        state = ledger.state(issue, subscriber.email) if ledger is not None else None
        if state is None or state in again:  # sending: only in a dry run beside a live send
            recipients.append(subscriber)
        else:
            done.append((subscriber, state))
    return Plan(tuple(recipients), tuple(done), subscribers.skipped)


@dataclass
class Outcome:
    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, why)
    postponed: list[tuple[str, str]] = field(default_factory=list)  # left pending: (address, why)
    doubt: list[tuple[str, str]] = field(default_factory=list)
    stopped: str = ""  # why the run ended before the last recipient, if it did
    doubt_before: int = 0  # messages an earlier run left in doubt, not sent again by this one
    untried: int = 0  # recipients not reached because the run stopped

    @property
    def complete(self) -> bool:
        """Every subscriber is known to have the issue."""
        return not (self.failed or self.postponed or self.doubt or self.stopped or self.doubt_before
                    or self.untried)


Compose = Callable[[Subscriber, dt.datetime], EmailMessage]
Progress = Callable[[Outcome, int, float], None]  # (outcome so far, recipients left, seconds between two)


def deliver(recipients: tuple[Subscriber, ...], issue: str, sender: str, compose: Compose, ledger: Ledger,
            transport: Transport, per_minute: int = 0, progress: Progress = lambda *_: None,
            stop: Callable[[], str] = lambda: "", backoff: float = BACKOFF) -> Outcome:
    """Each recipient's message handed to the server, the ledger written before and after.
    `stop()` is asked between two messages and during every pause (Ctrl-C sets it): a
    reason ends the run there, with no message in flight."""
    outcome = Outcome()
    interval = 60 / per_minute if per_minute else 0

    def pause(seconds: float) -> bool:
        """Wait, unless asked to stop: False then."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            if stop():
                return False
            time.sleep(min(left, 0.2))
        return not stop()

    try:
        if recipients:
            transport.open()  # a wrong setting shows now, before the ledger is touched
        last = -math.inf
        for index, subscriber in enumerate(recipients):
            if not pause(last + interval - time.monotonic()):
                outcome.stopped, outcome.untried = stop(), len(recipients) - index
                break
            last = time.monotonic()
            try:
                message = compose(subscriber, dt.datetime.now(dt.UTC))
                _one(subscriber, message, issue, sender, ledger, transport, outcome, pause, backoff)
            except Unreachable as exc:
                outcome.postponed.append((subscriber.email, str(exc)))
                outcome.stopped, outcome.untried = str(exc), len(recipients) - index - 1
                break
            except (ValueError, TypeError, email.errors.MessageError) as exc:  # this subscriber's message
                ledger.failed(issue, subscriber.email, f"the message cannot be written: {exc}")
                outcome.failed.append((subscriber.email, f"the message cannot be written: {exc}"))
            progress(outcome, len(recipients) - index - 1, interval)
    except Unreachable as exc:  # at the start
        outcome.stopped, outcome.untried = str(exc), len(recipients)
    finally:
        transport.close()
    return outcome


def _one(subscriber: Subscriber, message: EmailMessage, issue: str, sender: str, ledger: Ledger,
         transport: Transport, outcome: Outcome, pause: Callable[[float], bool], backoff: float) -> None:
    address = subscriber.email
    data = message.as_bytes(policy=email.policy.SMTP)
    message_id = str(message["Message-ID"])
    reason = ""
    for attempt in range(RETRIES):
        if attempt and not pause(backoff * 2 ** (attempt - 1)):
            break  # stopped while waiting
        marked: list[bool] = []

        def before_data(marked: list[bool] = marked) -> None:
            # From here the server may come to have the message: so says the ledger first.
            ledger.sending(issue, address, message_id)
            marked.append(True)

        try:
            reply = transport.deliver(sender, address, data, before_data)
        except Temporary as exc:
            reason = str(exc)
            ledger.postponed(issue, address, reason)
            if isinstance(exc, Unreachable) and attempt == RETRIES - 1:
                raise
            continue
        except Permanent as exc:
            ledger.failed(issue, address, str(exc))
            outcome.failed.append((address, str(exc)))
            return
        except InDoubt as exc:
            ledger.in_doubt(issue, address, str(exc))
            outcome.doubt.append((address, str(exc)))
            return
        except BaseException:  # a second Ctrl-C, a fault: the ledger says what the server may have
            if marked and transport.stage == "awaiting":
                ledger.in_doubt(issue, address, "the run stopped while the server took the message")
            elif marked:
                ledger.postponed(issue, address, "the run stopped before the message went out")
            raise
        ledger.sent(issue, address, reply)
        outcome.sent += 1
        return
    outcome.postponed.append((address, reason or "the run stopped"))
