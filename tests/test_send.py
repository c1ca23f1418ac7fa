"""`newsletter send`: each subscriber gets the issue exactly once, through a real SMTP server
(aiosmtpd on loopback), whatever the server answers and however the run is stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, main
from smtp_server import SmtpServer

from builder.mail.ledger import Ledger

SUBSCRIBERS = ("email,name,groups\n"
               "zhang.san@example.org,张三,企业\n"
               "li.si@example.org,李四,\n"
               "wang.wu@example.org,王五,政府\n"
               "zhao.liu@example.org,赵六,企业\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The fixture site, built once (its PDFs take a few seconds), with smtp and send settings."""
    site = tmp_path_factory.mktemp("built") / "site"
    shutil.copytree(FIXTURES / "site-basic", site)
    yaml = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(yaml + "\nsmtp:\n  security: none\n  sender: bulletin@example.org\n"
                                    "  sender_name: 节能减排信息动态编辑部\nsend:\n"
                                    "  unsubscribe: mailto:unsubscribe@example.org\n", encoding="utf-8")
    (site / "subscribers.csv").write_text(SUBSCRIBERS, encoding="utf-8")
    assert main(["build", "--site", str(site)]) == 0
    return site


@pytest.fixture
def site(built, tmp_path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(built, copy, symlinks=True)
    return copy


@pytest.fixture
def server():
    with SmtpServer() as running:
        yield running


def send(site: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
         ) -> subprocess.CompletedProcess[str]:
    """`newsletter send` in a process of its own, as an editor runs it."""
    return subprocess.run([sys.executable, "-m", "builder.cli", "send", "--site", str(site), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, **(env or {})})


def configure(site: Path, lines: str) -> None:
    """More `send:` settings, without making the built PDF look older than site.yaml."""
    path = site / "site.yaml"
    stat = path.stat()
    path.write_text(path.read_text(encoding="utf-8") + lines, encoding="utf-8")
    os.utime(path, (stat.st_atime, stat.st_mtime))


def ledger_states(site: Path, issue: str = "2017-02") -> dict[str, str]:
    ledger = Ledger(site / "sent")
    try:
        return {entry.address: entry.state for entry in ledger.entries(issue)}
    finally:
        ledger.close()


ADDRESSES = ["zhang.san@example.org", "li.si@example.org", "wang.wu@example.org", "zhao.liu@example.org"]


def test_every_subscriber_gets_one_well_formed_message(site, server):
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 0, run.stderr
    received = server.handler.received
    assert sorted(r.recipients[0] for r in received) == sorted(ADDRESSES)
    assert all(len(r.recipients) == 1 for r in received)  # one message per subscriber, nobody sees the others
    message = server.handler.to("zhang.san@example.org")[0].message()
    assert message["Subject"] == "测试简报 2017年第2期"  # the fixture site's title
    assert message["To"].addresses[0].display_name == "张三"
    assert message["From"].addresses[0].display_name == "节能减排信息动态编辑部"
    assert message["List-Unsubscribe"] == "<mailto:unsubscribe@example.org?subject=unsubscribe>"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert 'style="' in html and "<script" not in html
    assert 'href="https://example.org/bulletin/issues/2017-02/market-a/"' in html
    assert "深圳碳市场履约在即" in html and "深圳碳市场履约在即" in text
    assert "https://example.org/bulletin/issues/2017-02/market-a/" in text
    attachment = next(message.iter_attachments())
    assert attachment.get_content() == (site / "output/pdf/2017-02.pdf").read_bytes()
    assert "sent 4, failed 0" in run.stderr
    assert set(ledger_states(site).values()) == {"sent"}
    again = send(site, "2017-02", "--send", "--smtp", server.address)
    assert again.returncode == 0 and len(server.handler.received) == 4  # sent is sent: nobody twice
    assert "4 sent before" in again.stderr


def test_temporary_refusals_are_retried_and_permanent_ones_recorded(site, server, monkeypatch):
    server.handler.behaviour.later = {"li.si@example.org"}
    server.handler.behaviour.later_times = 1  # refused once, then taken
    server.handler.behaviour.never = {"wang.wu@example.org"}
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 5, run.stderr
    assert sorted(r.recipients[0] for r in server.handler.received) == sorted(
        ["zhang.san@example.org", "li.si@example.org", "zhao.liu@example.org"])
    assert "wang.wu@example.org: 550 5.1.1 no such mailbox here" in run.stderr
    states = ledger_states(site)
    assert states["wang.wu@example.org"] == "failed" and states["li.si@example.org"] == "sent"
    status = send(site, "2017-02", "--status")
    assert "sent 3, failed 1" in status.stdout and "550 5.1.1 no such mailbox here" in status.stdout


def test_a_recipient_refused_for_now_every_time_is_left_for_the_next_run(site, server):
    server.handler.behaviour.later = {"li.si@example.org"}
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 5
    assert "li.si@example.org: 451 4.2.0 mailbox busy" in run.stderr and "left for the next run 1" in run.stderr
    assert server.handler.refusals["li.si@example.org"] == 3  # tried three times in the run
    assert ledger_states(site)["li.si@example.org"] == "pending"
    server.handler.behaviour.later = set()
    again = send(site, "2017-02", "--send", "--smtp", server.address)
    assert again.returncode == 0 and "1 recipients" in again.stderr
    assert [len(server.handler.to(a)) for a in ADDRESSES] == [1, 1, 1, 1]


def test_a_connection_dropped_between_messages_is_taken_up_again(site, server):
    server.handler.behaviour.drop_after = 2
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 0, run.stderr
    assert [len(server.handler.to(a)) for a in ADDRESSES] == [1, 1, 1, 1]


def test_a_message_whose_answer_was_lost_is_in_doubt_and_not_sent_again(site, server):
    server.handler.behaviour.lose_answer_of = 2
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 5
    doubt = [a for a, state in ledger_states(site).items() if state == "doubt"]
    assert len(doubt) == 1 and "in doubt 1" in run.stderr
    assert [len(server.handler.to(a)) for a in ADDRESSES] == [1, 1, 1, 1]  # the server had it
    again = send(site, "2017-02", "--send", "--smtp", server.address)
    assert len(server.handler.received) == 4 and "1 in doubt" in again.stderr
    forced = send(site, "2017-02", "--send", "--resend-in-doubt", "--smtp", server.address)
    assert forced.returncode == 0 and len(server.handler.to(doubt[0])) == 2  # only when asked


def test_a_run_killed_in_the_middle_goes_on_where_it_stopped(site, server):
    configure(site, "  per_minute: 120\n")  # one message every half second
    many = "email,name\n" + "".join(f"reader{n:02d}@example.org,读者{n}\n" for n in range(12))
    (site / "subscribers.csv").write_text(many, encoding="utf-8")
    command = [sys.executable, "-m", "builder.cli", "send", "--site", str(site), "2017-02", "--send",
               "--smtp", server.address]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(server.handler.received) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert 4 <= len(server.handler.received) < 12
    second = send(site, "2017-02", "--send", "--smtp", server.address)
    states = ledger_states(site)
    doubt = [a for a, state in states.items() if state == "doubt"]
    assert len(doubt) <= 1
    for n in range(12):
        address = f"reader{n:02d}@example.org"
        count = len(server.handler.to(address))
        assert count == 1 or (address in doubt and count == 0), (address, count, states[address])
    assert second.returncode == (5 if doubt else 0), second.stderr


def test_two_runs_of_one_issue_cannot_both_send(site, server):
    configure(site, "  per_minute: 60\n")
    command = [sys.executable, "-m", "builder.cli", "send", "--site", str(site), "2017-02", "--send",
               "--smtp", server.address]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not server.handler.received and time.monotonic() < deadline:
        time.sleep(0.05)
    second = send(site, "2017-02", "--send", "--smtp", server.address)
    assert second.returncode == 1
    assert "another `newsletter send` of 2017-02 is running" in second.stderr and "nothing was sent" in second.stderr
    first.wait(timeout=60)
    assert first.returncode == 0
    assert [len(server.handler.to(a)) for a in ADDRESSES] == [1, 1, 1, 1]


def test_a_dry_run_writes_the_messages_to_look_at_and_sends_nothing(site, server):
    run = send(site, "2017-02", "--smtp", server.address)
    assert run.returncode == 0, run.stderr
    assert server.handler.received == []
    outbox = sorted((site / "output/outbox/2017-02").iterdir())
    assert [p.name for p in outbox] == ["0001-zhang.san@example.org.eml", "0002-li.si@example.org.eml",
                                        "0003-wang.wu@example.org.eml", "0004-zhao.liu@example.org.eml"]
    assert "2017-02 (2017年第2期（总第91期）): 4 recipients" in run.stderr
    assert "one message:" in run.stderr and "MB (the PDF attached" in run.stderr
    assert not (site / "sent").exists()  # a dry run records nothing
    # The next build drops the previews: they are never published with the archive.
    assert main(["build", "--site", str(site), "--no-pdf"]) == 0
    assert not (site / "output/outbox").exists()


def test_the_subscriber_list_rows_that_cannot_be_used_are_reported_and_the_rest_sent(site, server):
    (site / "subscribers.csv").write_text(
        "email,name\n"
        "zhang.san@example.org,张三\n"
        "ZHANG.SAN@EXAMPLE.ORG,张三（重复）\n"
        "not-an-address,无效\n"
        "\"li.si@example.org\",\"李四\r\nBcc: everyone@example.org\"\n"
        "wang.wu@example.org,王五\n", encoding="utf-8")
    (site / "suppressed.txt").write_text("# unsubscribed\nWang.Wu@example.org\n", encoding="utf-8")
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 0, run.stderr
    assert [r.recipients[0] for r in server.handler.received] == ["zhang.san@example.org"]
    assert "1 on the suppression list" in run.stderr and "1 duplicate addresses" in run.stderr
    assert "subscribers.csv:4:" in run.stderr and "subscribers.csv:5:" in run.stderr
    assert all(b"everyone@example.org" not in r.data for r in server.handler.received)


def test_what_send_needs_is_asked_for_with_file_and_line(site, server, tmp_path):
    yaml = (site / "site.yaml").read_text(encoding="utf-8").replace("  sender: bulletin@example.org\n", "")
    (site / "site.yaml").write_text(yaml, encoding="utf-8")
    run = send(site, "2099-01", "--to", str(tmp_path / "none.csv"))
    assert run.returncode == 1
    assert "there is no published issue '2099-01'" in run.stderr
    assert "smtp.sender is not set" in run.stderr
    assert "none.csv" in run.stderr and "nothing was sent" in run.stderr


def test_an_issue_changed_since_its_pdf_was_built_is_not_sent(site, server):
    article = next((site / "content/issues/2017-02").glob("*.md"))
    os.utime(article, (time.time() + 5, time.time() + 5))
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 1 and server.handler.received == []
    assert "changed after the issue's PDF was built" in run.stderr and "newsletter build" in run.stderr


def test_the_password_comes_only_from_the_environment_and_is_never_printed(site, server):
    yaml = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(yaml.replace("  sender_name:", "  password: geheim\n  sender_name:"),
                                    encoding="utf-8")
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 1 and "a password does not belong in site.yaml" in run.stderr
    assert "geheim" not in run.stderr and "geheim" not in run.stdout


def test_a_server_without_starttls_stops_the_run_before_the_ledger_is_touched(site, server):
    configure(site, "")  # the fixture's smtp.security is none: make it starttls, as most servers want
    path = site / "site.yaml"
    stat = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("security: none", "security: starttls"),
                    encoding="utf-8")
    os.utime(path, (stat.st_atime, stat.st_mtime))
    run = send(site, "2017-02", "--send", "--smtp", server.address)
    assert run.returncode == 4 and "does not offer STARTTLS" in run.stderr and "Traceback" not in run.stderr
    assert set(ledger_states(site).values()) == {"pending"}  # none 'sending', so none in doubt later
    path.write_text(path.read_text(encoding="utf-8").replace("security: starttls", "security: none"),
                    encoding="utf-8")
    os.utime(path, (stat.st_atime, stat.st_mtime))
    again = send(site, "2017-02", "--send", "--smtp", server.address)
    assert again.returncode == 0 and "in doubt" not in again.stderr.split("sent 4")[0]
    assert [len(server.handler.to(a)) for a in ADDRESSES] == [1, 1, 1, 1]


def test_a_ledger_that_is_not_one_is_an_error_for_every_mode(site, server):
    (site / "sent").mkdir()
    (site / "sent/ledger.sqlite3").write_text("not a database", encoding="utf-8")
    for mode in ([], ["--status"], ["--send"]):
        run = send(site, "2017-02", *mode, "--smtp", server.address)
        assert run.returncode == 1, (mode, run.stderr)
        assert "sent: the ledger cannot be read" in run.stderr or "cannot be read as the ledger" in run.stderr
        assert "restore the ledger from your backup" in run.stderr and "Traceback" not in run.stderr
    assert server.handler.received == []


@pytest.mark.parametrize("args, message", [
    (["--smtp", "127.0.0.1:"], "--smtp: '?' is not a port number"),
    (["--smtp", "127.0.0.1:smtp"], "--smtp: 'smtp' is not a port number"),
    (["--status", "2099-01"], "there is no published issue '2099-01'"),
    (["--status", "2017-03"], "the issue '2017-03' is a draft: it cannot be sent"),
])
def test_what_cannot_be_used_on_the_command_line_is_said(site, args, message):
    run = send(site, *([args[1], args[0]] if args[0] == "--status" else ["2017-02", *args]))
    assert run.returncode == 1 and message in run.stderr, run.stderr


def test_a_subscriber_list_that_is_a_link_out_of_the_site_is_not_read(site, tmp_path):
    outside = tmp_path / "someone-elses.csv"
    outside.write_text("email,name\nsecret@example.org,秘密\n", encoding="utf-8")
    (site / "subscribers.csv").unlink()
    (site / "subscribers.csv").symlink_to(outside)
    run = send(site, "2017-02")
    assert run.returncode == 1 and "the subscriber list is a link to" in run.stderr
    assert not (site / "output/outbox").exists()
