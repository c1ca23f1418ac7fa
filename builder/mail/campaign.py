"""`newsletter send ISSUE`: what it reads, what it shows before anything leaves, and the run.

    subscriber list + suppression list + the built PDF + site.yaml's smtp/send
        --prepare-->  Campaign
        --preview-->  one .eml a recipient under output/outbox/<issue>/ (the default)
        --send----->  each message through the ledger and the server (--send)
"""

from __future__ import annotations

import datetime as dt
import email.policy
import os
import re
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from builder import routes
from builder.errors import ContentErrors, ErrorLog
from builder.files import UnsafePath, inside
from builder.mail.ledger import Ledger, LedgerBusy, LedgerDamaged
from builder.mail.message import compose
from builder.mail.send import Outcome, Plan, Progress, deliver, plan
from builder.mail.subscribers import Subscriber, SubscriberList, group_filter, load_subscribers
from builder.mail.transport import Server, Transport
from builder.model import Archive, Issue, Site
from builder.render.output import write_beside
from builder.render.themes import template_env

Report = Callable[[str], None]
OUTBOX = "outbox"


@dataclass(frozen=True)
class Request:
    slug: str
    output: Path
    to: Path | None = None  # --to FILE, else site.yaml's send.subscribers
    groups: tuple[str, ...] = ()
    smtp: str = ""  # --smtp HOST:PORT
    resend_in_doubt: bool = False


@dataclass(frozen=True)
class Campaign:
    site: Site  # with the command line's and the environment's SMTP settings
    issue: Issue
    subscribers: SubscriberList
    pdf: bytes
    env: jinja2.Environment
    resend_in_doubt: bool = False

    def message(self, subscriber: Subscriber, now: dt.datetime) -> email.message.EmailMessage:
        return compose(self.site, self.issue, self.env, subscriber.email, subscriber.name, self.pdf, now)

    @property
    def ledger_folder(self) -> Path:
        return self.site.root / self.site.send.ledger


def prepare(archive: Archive, request: Request, log: ErrorLog) -> Campaign:
    """Everything a send needs, checked; ContentErrors with every problem found."""
    site = _with_overrides(archive.site, request.smtp, log)
    issue = _issue(archive, request.slug, log)
    if not site.smtp.sender:
        log.error(site.root / routes.SITE_FILE, "the messages need a sender: smtp.sender is not set", None,
                  "add to site.yaml:\n      smtp:\n        sender: bulletin@example.org")
    subscribers = _subscribers(site, request, log)
    pdf = _pdf(site, issue, request.output, log) if issue is not None else None
    log.raise_if_any()
    assert issue is not None and subscribers is not None and pdf is not None
    if request.groups:
        subscribers = replace(subscribers, subscribers=group_filter(subscribers.subscribers, set(request.groups)))
    return Campaign(site, issue, subscribers, pdf, template_env(site), request.resend_in_doubt)


def preview(campaign: Campaign, output: Path, report: Report) -> Plan:
    """--dry-run: each message as it would leave, in output/outbox/<issue>/; nothing is sent."""
    ledger = _reader(campaign.ledger_folder)
    try:
        chosen = plan(campaign.subscribers, ledger, campaign.issue.slug, campaign.resend_in_doubt)
    finally:
        if ledger is not None:
            ledger.close()
    now = dt.datetime.now(dt.UTC)
    sizes: list[int] = []

    def message(subscriber: Subscriber) -> Callable[[], bytes]:
        def make() -> bytes:
            data = campaign.message(subscriber, now).as_bytes(policy=email.policy.SMTP)
            sizes.append(len(data))
            return data
        return make

    messages = [(f"{n:04d}-{_file_name(s.email)}.eml", message(s)) for n, s in enumerate(chosen.recipients, start=1)]
    folder = f"{OUTBOX}/{campaign.issue.slug}"
    write_beside(output, folder, messages)
    _summary(campaign, chosen, report)
    if sizes:
        report(f"  one message: {sizes[0] / 1e6:.2f} MB ({_pdf_note(campaign)})")
        report(f"  wrote {len(sizes)} messages to {output / folder}/, readable by you alone (they hold the "
               f"subscribers' addresses; the next build removes them): look at them, then send with --send")
    return chosen


def send(campaign: Campaign, request: Request, report: Report) -> Outcome:
    """--send: every planned recipient once, through the ledger."""
    slug = campaign.issue.slug
    try:
        ledger = Ledger(campaign.ledger_folder)
    except LedgerDamaged as exc:
        raise ContentErrors.one(campaign.ledger_folder, str(exc), None,
                                "restore the ledger from your backup; never delete it to send again") from None
    except OSError as exc:
        raise ContentErrors.one(campaign.ledger_folder, f"the ledger cannot be written: {exc}", None,
                                "check that the folder of send.ledger may be written") from None
    try:
        with ledger.hold(slug):
            left = ledger.left_in_flight(slug)
            if left:
                report(f"  {left} message(s) were with the server when an earlier run stopped: in doubt, "
                       "not sent again (see --status; --resend-in-doubt sends them)")
            ledger.enrol(slug, [(s.email, s.name) for s in campaign.subscribers.subscribers])
            chosen = plan(campaign.subscribers, ledger, slug, campaign.resend_in_doubt)
            _summary(campaign, chosen, report)
            server = Server.from_settings(campaign.site.smtp, os.environ.get("NEWSLETTER_SMTP_PASSWORD", ""))
            report(f"  sending through {server} ({_pdf_note(campaign)})")
            with _soft_stop(report) as stop:
                outcome = deliver(chosen.recipients, slug, campaign.site.smtp.sender, campaign.message, ledger,
                                  Transport(server), campaign.site.send.per_minute, _progress(report),
                                  stop)
            outcome.doubt_before = 0 if campaign.resend_in_doubt else ledger.counts(slug)["doubt"] - len(outcome.doubt)
            _outcome(outcome, report)
            return outcome
    except LedgerBusy as exc:
        raise ContentErrors.one(campaign.ledger_folder, str(exc), None,
                                "wait for it to finish; nothing was sent by this run") from None
    finally:
        ledger.close()


def status(archive: Archive, slug: str, report: Report) -> None:
    """--status: the ledger's record of the issue."""
    site = archive.site
    log = ErrorLog()
    _issue(archive, slug, log)
    log.raise_if_any()
    folder = site.root / site.send.ledger
    ledger = _reader(folder)
    if ledger is None:
        report(f"{slug}: nothing has been sent yet (no ledger in {folder})")
        return
    try:
        counts = ledger.counts(slug)
        total = sum(counts.values())
        report(f"{slug}: {total} recipients — sent {counts['sent']}, failed {counts['failed']}, "
               f"pending {counts['pending'] + counts['sending']}, in doubt {counts['doubt']}")
        for states, title in ((("failed",), "failed"), (("doubt",), "in doubt (may have been delivered)"),
                              (("pending", "sending"), "left for the next run")):
            entries = [e for state in states for e in ledger.entries(slug, state)]
            if entries:
                report(f"  {title}:")
                for entry in entries:
                    report(f"    {entry.written}  {entry.reply or '—'}  ({entry.updated})")
    finally:
        ledger.close()


# --- inside ------------------------------------------------------------------------------

def _issue(archive: Archive, slug: str, log: ErrorLog) -> Issue | None:
    issue = next((i for i in archive.issues if i.slug == slug), None)
    if issue is None:
        draft = (archive.site.issues_dir / slug / routes.ISSUE_FILE).is_file() and "/" not in slug
        slugs = ", ".join(i.slug for i in archive.issues[:10]) or "none"
        log.error(archive.site.issues_dir / slug if draft else None,
                  f"the issue '{slug}' is a draft: it cannot be sent" if draft
                  else f"there is no published issue '{slug[:80]}'", None,
                  "remove 'draft: true' from its issue.yaml and build it first" if draft
                  else f"give the folder name of an issue under content/issues/ (the newest: {slugs})")
    return issue


def _reader(folder: Path) -> Ledger | None:
    """The ledger to read (a dry run, --status), or None if nothing was ever sent."""
    try:
        return Ledger.existing(folder)
    except (LedgerDamaged, sqlite3.Error, OSError) as exc:
        raise ContentErrors.one(folder, f"the ledger cannot be read: {exc}", None,
                                "restore the ledger from your backup; never delete it to send again") from None


def _with_overrides(site: Site, smtp: str, log: ErrorLog) -> Site:
    """site.yaml's SMTP settings, then the environment's, then --smtp HOST[:PORT]: each
    replaces only what it gives (an empty NEWSLETTER_SMTP_USER: no login)."""
    settings = site.smtp
    host, port, user = settings.host, settings.port, settings.user
    if os.environ.get("NEWSLETTER_SMTP_HOST"):
        host = os.environ["NEWSLETTER_SMTP_HOST"]
    if "NEWSLETTER_SMTP_USER" in os.environ:
        user = os.environ["NEWSLETTER_SMTP_USER"]
    port = _port(os.environ.get("NEWSLETTER_SMTP_PORT", ""), "NEWSLETTER_SMTP_PORT", port, log)
    if smtp:
        found = re.fullmatch(r"\[(?P<v6>[^\]]+)\](?::(?P<p6>.*))?|(?P<host>[^:]+)(?::(?P<port>.*))?", smtp)
        if found is None:
            log.error(None, f"--smtp: '{smtp}' is not HOST or HOST:PORT", None, "e.g. --smtp mail.example.org:587")
        else:
            host = found["v6"] or found["host"]
            given = found["p6"] if found["v6"] else found["port"]
            if given is not None:
                port = _port(given or "?", "--smtp", port, log)
    return replace(site, smtp=replace(settings, host=host, port=port, user=user))


def _port(text: str, where: str, default: int, log: ErrorLog) -> int:
    if not text:
        return default
    if re.fullmatch(r"[0-9]{1,5}", text) and 0 < int(text) < 65536:
        return int(text)
    log.error(None, f"{where}: '{text[:20]}' is not a port number", None,
              "e.g. --smtp mail.example.org:587" if where == "--smtp" else f"e.g. {where}=587")
    return default


def _subscribers(site: Site, request: Request, log: ErrorLog) -> SubscriberList | None:
    if request.to is not None:
        path = request.to  # named on the command line: wherever the editor keeps it
    else:
        path = site.root / site.send.subscribers
        if not _in_site(path, site, "the subscriber list", "keep it in the site's folder, or pass --to FILE", log):
            return None
        if not path.exists():
            log.error(path, "there is no subscriber list", None,
                      "make a CSV file with the columns email,name,groups (send.subscribers in site.yaml), "
                      "or pass --to FILE")
            return None
    suppressed = site.root / site.send.suppressed
    if not _in_site(suppressed, site, "the suppression list", "keep it in the site's folder", log):
        return None
    return load_subscribers(path, suppressed if suppressed.exists() else None, log)


def _in_site(path: Path, site: Site, what: str, hint: str, log: ErrorLog) -> bool:
    """A list named in site.yaml is read only from inside the site, links followed."""
    try:
        inside(path, site.root)
    except UnsafePath as exc:
        log.error(path, f"{what} {exc}", None, hint)
        return False
    return True


def _pdf(site: Site, issue: Issue, output: Path, log: ErrorLog) -> bytes | None:
    """The issue's PDF as the last build wrote it, if it is newer than the issue's files."""
    path = output / routes.pdf(issue.slug)
    try:
        pdf = path.read_bytes()
        built = path.stat().st_mtime
    except OSError:
        log.error(path, "the issue's PDF has not been built", None, "run `newsletter build` first")
        return None
    sources = [site.root / routes.SITE_FILE, issue.folder / routes.ISSUE_FILE,
               *(a.path for a in issue.articles), *(issue.folder / name for name in issue.files)]
    newer = [p for p in sources if p.exists() and p.stat().st_mtime > built]
    if newer:
        log.error(newer[0], "this file changed after the issue's PDF was built: subscribers would get the old "
                            "issue", None, "run `newsletter build` again, then send")
        return None
    return pdf


def _summary(campaign: Campaign, chosen: Plan, report: Report) -> None:
    rows = campaign.subscribers
    report(f"send {campaign.issue.slug} ({campaign.issue.label}): {len(chosen.recipients)} recipients")
    reasons: dict[str, int] = {}
    for _, why in rows.skipped:
        key = "on the suppression list" if "suppression" in why else "duplicate addresses"
        reasons[key] = reasons.get(key, 0) + 1
    for _, state in chosen.done:
        key = {"sent": "sent before", "failed": "failed before (see --status)",
               "doubt": "in doubt (see --status)"}.get(state, state)
        reasons[key] = reasons.get(key, 0) + 1
    if reasons:
        report("  skipped: " + ", ".join(f"{count} {why}" for why, count in reasons.items()))
    for error in rows.rejected:
        report("  rejected: " + error.format(campaign.site.root).replace("\n", "\n  "))


def _pdf_note(campaign: Campaign) -> str:
    send = campaign.site.send
    if send.attach and len(campaign.pdf) <= send.attach_limit * 1e6:
        return f"the PDF attached, {len(campaign.pdf) / 1e6:.2f} MB"
    return "the PDF linked, not attached"


def _outcome(outcome: Outcome, report: Report) -> None:
    report(f"  sent {outcome.sent}, failed {len(outcome.failed)}, left for the next run "
           f"{len(outcome.postponed) + outcome.untried}, in doubt {len(outcome.doubt)}"
           + (f" (and {outcome.doubt_before} from an earlier run: see --status)" if outcome.doubt_before else ""))
    for title, rows in (("failed", outcome.failed), ("in doubt (may have been delivered; --resend-in-doubt "
                                                      "sends again)", outcome.doubt),
                        ("left for the next run", outcome.postponed)):
        if rows:
            report(f"  {title}:")
            for address, why in rows[:50]:
                report(f"    {address}: {why}")
            if len(rows) > 50:
                report(f"    … and {len(rows) - 50} more (see --status)")
    if outcome.stopped:
        report(f"  stopped: {outcome.stopped}; run the same command again to go on")


def _progress(report: Report) -> Progress:
    started = time.monotonic()
    shown = [0.0]
    tty = sys.stderr.isatty()

    def show(outcome: Outcome, left: int, interval: float) -> None:
        now = time.monotonic()
        if left and now - shown[0] < (0.2 if tty else 10):
            return
        shown[0] = now
        done = outcome.sent + len(outcome.failed) + len(outcome.postponed) + len(outcome.doubt)
        eta = max((now - started) / done if done else 0, interval) * left
        line = (f"  sent {outcome.sent} · failed {len(outcome.failed)} · left {left}"
                + (f" · about {_duration(eta)} to go" if left else ""))
        if tty:
            print("\r" + line.ljust(70), end="" if left else "\n", file=sys.stderr, flush=True)
        else:
            report(line)

    return show


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


@contextmanager
def _soft_stop(report: Report) -> Iterator[Callable[[], str]]:
    """Ctrl-C (or kill) stops the run between two messages, none left in flight; a second
    Ctrl-C stops it at once (that message is then in doubt)."""
    asked: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: ""
        return

    def handler(signum: int, _frame: object) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append("interrupted")
        report("\n  stopping after the message in flight (Ctrl-C again to stop at once)")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: asked[0] if asked else ""
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _file_name(address: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]", "_", address)[:80]


