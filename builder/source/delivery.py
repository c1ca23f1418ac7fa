"""site.yaml's `smtp:` and `send:` -> SmtpSettings, SendSettings: how issues reach subscribers.

Checked with the rest of site.yaml, so a mistake is found by `newsletter check` and
`build`, not in the middle of a send. What only sending needs (a sender address) is
asked for by `newsletter send` itself.
"""

from __future__ import annotations

import re
import string
from pathlib import PurePosixPath

from builder.errors import ErrorLog
from builder.model import SendSettings, SmtpSettings
from builder.routes import OUTPUT_DIR, PDF_CACHE
from builder.source.fields import Field, read_fields
from builder.source.yamlfile import YamlDoc

SMTP_FIELDS = {
    "host": Field("text"),
    "port": Field("int", least=1, most=65535),
    "security": Field("text", hint="starttls (port 587), tls (port 465) or none (port 25, on a trusted network)"),
    "user": Field("text"),
    "sender": Field("text", hint="the address the issues come from, e.g. 'sender: bulletin@example.org'"),
    "sender_name": Field("text"),
}
SECURITY = ("starttls", "tls", "none")
SEND_FIELDS = {
    "subscribers": Field("text"),
    "suppressed": Field("text"),
    "attach": Field("bool"),
    "attach_limit": Field("int", least=0, most=100),
    "subject": Field("text"),
    "unsubscribe": Field("texts"),
    "per_minute": Field("int", least=0, most=100_000),
    "ledger": Field("text"),
}
SUBJECT_FIELDS = ("title", "year", "number", "total", "label", "date")
ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def smtp_settings(doc: YamlDoc, log: ErrorLog) -> SmtpSettings | None:
    if not isinstance(doc.data.get("smtp"), dict):
        return SmtpSettings()
    if "password" in doc.data["smtp"]:
        log.error(doc.path, "a password does not belong in site.yaml: anyone who can read the site can read it",
                  doc.line("smtp", "password"),
                  "delete the line; give the password in the environment variable NEWSLETTER_SMTP_PASSWORD")
        return None
    values = read_fields(doc, SMTP_FIELDS, log, ("smtp",), "smtp")
    if values is None:
        return None
    found = log.scope()
    if values.get("security", "starttls") not in SECURITY:
        found.error(doc.path, f"smtp.security '{values['security']}' is not known", doc.line("smtp", "security"),
                    SMTP_FIELDS["security"].hint)
    sender = values.get("sender", "")
    if sender and not (ADDRESS.match(sender) and sender.isascii()):
        found.error(doc.path, f"smtp.sender '{sender}' is not an email address", doc.line("smtp", "sender"),
                    SMTP_FIELDS["sender"].hint)
    name = values.get("sender_name", "")
    if any(not char.isprintable() for char in name):
        found.error(doc.path, "smtp.sender_name holds a line break or a control character",
                    doc.line("smtp", "sender_name"), "write the name on one line")
    return None if found else SmtpSettings(**values)


def send_settings(doc: YamlDoc, log: ErrorLog) -> SendSettings | None:
    if not isinstance(doc.data.get("send"), dict):
        return SendSettings()
    values = read_fields(doc, SEND_FIELDS, log, ("send",), "send")
    if values is None:
        return None
    found = log.scope()
    for key in ("subscribers", "suppressed", "ledger"):
        if key in values and not _site_path(values[key]):
            found.error(doc.path, f"send.{key} '{values[key]}' is not a path inside the site", doc.line("send", key),
                        "write a path relative to the site's folder, e.g. 'subscribers: subscribers.csv'")
    ledger = values.get("ledger", SendSettings.ledger)
    if _site_path(ledger) and PurePosixPath(ledger).parts[0] in (OUTPUT_DIR, PDF_CACHE.parts[0]):
        found.error(doc.path, f"send.ledger '{ledger}' is in a folder the builder replaces or may delete",
                    doc.line("send", "ledger"), "keep the record of what was sent in a folder of its own, e.g. 'sent'")
    subject = values.get("subject", SendSettings.subject)
    unknown = _unknown_fields(subject)
    if unknown is not None:
        found.error(doc.path, f"send.subject uses {unknown}", doc.line("send", "subject"),
                    "write the subject with {title}, {year}, {number}, {total}, {label} or {date}, "
                    "e.g. '{title} {year}年第{number}期'")
    unsubscribe = values.get("unsubscribe", ())
    for target in unsubscribe:
        if not (target.startswith("https://") or (target.startswith("mailto:") and ADDRESS.match(target[7:]))):
            found.error(doc.path, f"send.unsubscribe '{target}' is neither a mailto: address nor an https:// "
                                  "address", doc.line("send", "unsubscribe"),
                        "e.g. 'unsubscribe: mailto:unsubscribe@example.org' or an https:// page that unsubscribes")
    if found:
        return None
    return SendSettings(**{**values, "unsubscribe": tuple(unsubscribe)})


def _site_path(value: str) -> bool:
    path = PurePosixPath(value)
    return bool(value) and not path.is_absolute() and ".." not in path.parts and "\\" not in value


def _unknown_fields(pattern: str) -> str | None:
    """What of the subject pattern is no known placeholder, or None."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError as exc:
        return f"a brace that does not close ({exc})"
    wrong = [name for name in names if name not in SUBJECT_FIELDS]
    return f"the unknown placeholder {{{wrong[0]}}}" if wrong else None
