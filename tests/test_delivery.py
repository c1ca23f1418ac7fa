"""builder.source.delivery: site.yaml's smtp: and send:, checked with the rest of site.yaml."""

import pytest
from test_config import GOOD, load

from builder.model import SendSettings, SmtpSettings


def test_without_the_sections_the_defaults_hold(tmp_path):
    site, errors = load(tmp_path, GOOD)
    assert errors == []
    assert site.smtp == SmtpSettings() and site.send == SendSettings()
    assert site.send.subject == "{title} {year}年第{number}期" and site.send.ledger == "sent"


def test_the_settings_are_read(tmp_path):
    site, errors = load(tmp_path, GOOD + "smtp:\n  host: mail.example.org\n  port: 465\n  security: tls\n"
                                         "  user: bulletin\n  sender: bulletin@example.org\n  sender_name: 编辑部\n"
                                         "send:\n  subscribers: lists/readers.csv\n  attach: false\n"
                                         "  attach_limit: 2\n  subject: '{label}'\n  per_minute: 30\n"
                                         "  unsubscribe:\n    - mailto:off@example.org\n"
                                         "    - https://example.org/unsubscribe\n  ledger: records/sent\n")
    assert errors == []
    assert site.smtp == SmtpSettings("mail.example.org", 465, "tls", "bulletin", "bulletin@example.org", "编辑部")
    assert site.send.subscribers == "lists/readers.csv" and site.send.attach is False
    assert site.send.unsubscribe == ("mailto:off@example.org", "https://example.org/unsubscribe")
    assert site.send.per_minute == 30 and site.send.ledger == "records/sent"


@pytest.mark.parametrize("section, message", [
    ("smtp:\n  security: ssl\n", "site.yaml:10: smtp.security 'ssl' is not known"),
    ("smtp:\n  sender: 编辑部\n", "site.yaml:10: smtp.sender '编辑部' is not an email address"),
    ("smtp:\n  port: 70000\n", "site.yaml:10: 'port' should be"),
    ("smtp:\n  password: geheim\n", "site.yaml:10: a password does not belong in site.yaml"),
    ("send:\n  subject: '{title} 第{issue}期'\n", "site.yaml:10: send.subject uses the unknown placeholder {issue}"),
    ("send:\n  subject: '{title'\n", "site.yaml:10: send.subject uses a brace that does not close"),
    ("send:\n  unsubscribe: http://example.org/off\n", "site.yaml:10: send.unsubscribe 'http://example.org/off' is "
                                                        "neither a mailto: address nor an https:// address"),
    ("send:\n  ledger: output/sent\n", "site.yaml:10: send.ledger 'output/sent' is in a folder the builder"),
    ("send:\n  ledger: .cache/sent\n", "site.yaml:10: send.ledger '.cache/sent' is in a folder the builder"),
    ("send:\n  subscribers: ../readers.csv\n", "site.yaml:10: send.subscribers '../readers.csv' is not a path "
                                               "inside the site"),
    ("send:\n  suppressed: /etc/passwd\n", "site.yaml:10: send.suppressed '/etc/passwd' is not a path inside"),
    ("send:\n  attach: sometimes\n", "site.yaml:10: 'attach' should be"),
])
def test_mistakes_are_errors_at_their_line(tmp_path, section, message):
    site, errors = load(tmp_path, GOOD + section)
    assert site is None
    assert any(error.startswith(message) for error in errors), errors


def test_the_password_is_never_repeated_in_the_message(tmp_path):
    _, errors = load(tmp_path, GOOD + "smtp:\n  password: geheim\n")
    assert errors and not any("geheim" in error for error in errors)
