"""One issue's email for one subscriber (builder/mail/message.py): headers read back as
sent, the text and HTML parts, the PDF attached or linked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.policy
import re
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from builder.mail.message import compose, message_id, subject
from builder.model import Issue, Site
from builder.pipeline import load
from builder.render.themes import template_env

BASE = "https://example.org/bulletin/"
SENT = dt.datetime(2017, 1, 6, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
HEADERS = {"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post",
           "mime-version", "content-type"}


def loaded(root: Path, **send: Any) -> tuple[Site, Issue]:
    archive, _ = load(root)
    site = archive.site
    site = dataclasses.replace(site, smtp=dataclasses.replace(site.smtp, sender="bulletin@example.org"),
                               send=dataclasses.replace(site.send, **send))
    return site, next(i for i in archive.issues if i.slug == "2017-01")


def composed(site: Site, issue: Issue, pdf: bytes | None = PDF, to_email: str = "zhang@example.com",
             to_name: str = "张三") -> EmailMessage:
    return compose(site, issue, template_env(site), to_email, to_name, pdf, SENT)


def parsed(message: EmailMessage) -> EmailMessage:
    data = message.as_bytes(policy=email.policy.SMTP)
    result = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(result, EmailMessage)
    return result


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return part.get_content()


def raw_headers(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=email.policy.SMTP).split(b"\r\n\r\n", 1)[0]


# --- headers ------------------------------------------------------------------


def test_the_chinese_subject_reads_back_exactly(site):
    site_, issue = loaded(site)
    message = parsed(composed(site_, issue))
    assert message["Subject"] == "测试简报 2017年第1期"
    assert subject(site_, issue) == "测试简报 2017年第1期"
    assert raw_headers(composed(site_, issue)).isascii()  # RFC 2047 encoded words, not raw UTF-8
    assert b"=?utf-8?" in raw_headers(composed(site_, issue))


def test_a_custom_subject_pattern(site):
    site_, issue = loaded(site, subject="【{title}】{label} {date} 第{total}期")
    assert parsed(composed(site_, issue))["Subject"] == "【测试简报】2017年第1期（总第90期） 2017年1月6日 第90期"


def test_a_subject_is_one_line_whatever_the_pattern(site):
    site_, issue = loaded(site, subject="{title}\n{year}年第{number}期")
    assert subject(site_, issue) == "测试简报 2017年第1期"
    assert parsed(composed(site_, issue))["Subject"] == "测试简报 2017年第1期"


def test_from_and_to_carry_their_chinese_names(site):
    site_, issue = loaded(site)
    message = parsed(composed(site_, issue))
    (sender,) = message["From"].addresses
    (recipient,) = message["To"].addresses
    assert (sender.display_name, sender.addr_spec) == ("测试简报", "bulletin@example.org")
    assert (recipient.display_name, recipient.addr_spec) == ("张三", "zhang@example.com")

    named = dataclasses.replace(site_, smtp=dataclasses.replace(site_.smtp, sender_name="节能中心, 信息处"))
    (sender,) = parsed(composed(named, issue))["From"].addresses
    assert sender.display_name == "节能中心, 信息处"  # a comma in the name is no second address


def test_the_date_is_when_it_was_sent(site):
    site_, issue = loaded(site)
    message = parsed(composed(site_, issue))
    assert message["Date"].datetime == SENT
    assert str(message["Date"]) == "Fri, 06 Jan 2017 09:30:00 +0800"
    assert message["MIME-Version"] == "1.0"


def test_the_message_id_is_stable_per_issue_and_subscriber(site):
    site_, issue = loaded(site)
    first = message_id(site_, issue, "zhang@example.com")
    assert re.fullmatch(r"<2017-01\.[0-9a-f]{20}@example\.org>", first)
    assert message_id(site_, issue, "zhang@example.com") == first
    assert message_id(site_, issue, "Zhang@Example.com") == first
    assert message_id(site_, issue, "li@example.com") != first
    assert message_id(site_, dataclasses.replace(issue, slug="2017-02"), "zhang@example.com") != first
    assert parsed(composed(site_, issue))["Message-ID"] == first
    assert parsed(composed(site_, issue, to_email="li@example.com", to_name="李四"))["Message-ID"] != first


def test_the_message_id_takes_the_senders_domain_else_the_sites(site):
    site_, issue = loaded(site)
    mailer = dataclasses.replace(site_, smtp=dataclasses.replace(site_.smtp, sender="news@mail.example.cn"))
    assert message_id(mailer, issue, "a@b.cn").endswith("@mail.example.cn>")
    nobody = dataclasses.replace(site_, smtp=dataclasses.replace(site_.smtp, sender=""))
    assert message_id(nobody, issue, "a@b.cn").endswith("@example.org>")


def test_a_message_needs_a_sender(site):
    site_, issue = loaded(site)
    nobody = dataclasses.replace(site_, smtp=dataclasses.replace(site_.smtp, sender=""))
    with pytest.raises(ValueError, match="smtp.sender"):
        composed(nobody, issue)


def test_list_unsubscribe_by_mail_only(site):
    site_, issue = loaded(site, unsubscribe=("mailto:leave@example.org",))
    message = parsed(composed(site_, issue))
    assert message["List-Unsubscribe"] == "<mailto:leave@example.org?subject=unsubscribe>"
    assert message["List-Unsubscribe-Post"] is None  # RFC 8058: one click needs an https URL
    assert "mailto:leave@example.org?subject=unsubscribe" in text_of(message)
    assert 'href="mailto:leave@example.org?subject=unsubscribe"' in html_of(message)


def test_list_unsubscribe_by_https_names_the_subscriber(site):
    site_, issue = loaded(site, unsubscribe=("https://example.org/bulletin/unsubscribe",))
    message = parsed(composed(site_, issue, to_email="zhang+news@example.com"))
    url = "https://example.org/bulletin/unsubscribe?email=zhang%2Bnews%40example.com"
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"退订：{url}" in text_of(message)
    assert f'href="{url}"' in html_of(message)


def test_list_unsubscribe_with_both_and_a_query_already(site):
    site_, issue = loaded(site, unsubscribe=("mailto:leave@example.org",
                                              "https://example.org/bulletin/unsubscribe?list=energy-saving-bulletin"))
    message = composed(site_, issue, to_email="a-rather-long-address-for-folding@subscriber.example.com")
    assert parsed(message)["List-Unsubscribe"] == (
        "<mailto:leave@example.org?subject=unsubscribe>, <https://example.org/bulletin/unsubscribe?"
        "list=energy-saving-bulletin&email=a-rather-long-address-for-folding%40subscriber.example.com>")
    assert parsed(message)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Folded after the comma, never into RFC 2047 encoded words a client cannot read as URIs.
    header = raw_headers(message).split(b"List-Unsubscribe: ", 1)[1].split(b"\r\nList-Unsubscribe-Post")[0]
    assert b"=?" not in header and b",\r\n <https://" in header


def test_no_list_unsubscribe_when_none_is_set(site):
    site_, issue = loaded(site)
    message = parsed(composed(site_, issue))
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert "退订" not in text_of(message) and "退订" not in html_of(message)


def test_every_header_line_is_a_header_or_its_continuation(site):
    site_, issue = loaded(site, unsubscribe=("mailto:leave@example.org", "https://example.org/bulletin/unsubscribe"))
    lines = raw_headers(composed(site_, issue, to_name="张三 (能源处)")).split(b"\r\n")
    for line in lines:
        assert b"\r" not in line and b"\n" not in line
        assert line[:1] in (b" ", b"\t") or line.split(b":", 1)[0].decode().lower() in HEADERS, line
        assert len(line) <= 998


def test_a_title_cannot_make_a_header(site):
    site_, issue = loaded(site)
    article = dataclasses.replace(issue.articles[0], title="标题\r\nBcc: everyone@example.com")
    message = parsed(composed(site_, dataclasses.replace(issue, articles=(article, *issue.articles[1:]))))
    assert all(part["Bcc"] is None for part in message.walk())
    assert "Bcc: everyone@example.com" in text_of(message)  # shown as text of the body


# --- the body ------------------------------------------------------------------


def test_the_message_is_text_and_html_alternatives_in_utf8(site):
    site_, issue = loaded(site)
    message = parsed(composed(site_, issue, pdf=None))
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
        assert part["MIME-Version"] is None
    data = composed(site_, issue).as_bytes(policy=email.policy.SMTP)
    assert data.isascii()
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert data.count(b"\n") == data.count(b"\r\n")


def test_the_text_part(site):
    site_, issue = loaded(site, unsubscribe=("mailto:leave@example.org",))
    text = text_of(parsed(composed(site_, issue)))
    assert text.startswith("测试简报\n2017年第1期（总第90期）\n测试编印单位编印　2017年1月6日\n新年特刊\n")
    assert "编者按\n\n本期关注全国碳市场建设。图见[图：碳价]。\n" in text
    assert "\n目录\n\n【市场热点】\n\n1. 各交易所碳价走势\n   发布日期：2017-1-5　来源：碳K线\n" \
           f"   {BASE}issues/2017-01/carbon-price/\n" in text
    assert "\n【政策聚焦】\n\n1. 关于开展碳排放核查的通知\n   发布日期：2017-1-4　来源：国家发展改革委\n" \
           f"   {BASE}issues/2017-01/policy/\n" in text
    assert f"在线阅读本期：{BASE}issues/2017-01/\n本期 PDF：见附件\n" in text
    assert "退订：mailto:leave@example.org?subject=unsubscribe" in text
    assert "此邮件发给订阅者 zhang@example.com。" in text
    assert "<" not in text and "&" not in text
    assert "尚未定稿的文章" not in text  # a draft is not in the issue


def test_the_html_part_has_its_styles_inline(site):
    site_, issue = loaded(site)
    html = html_of(parsed(composed(site_, issue)))
    assert html.count('style="') > 20
    assert "color: #c00000" in html  # the masthead in the publication's colour
    for block in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S):
        assert all(prelude.startswith("@media") for prelude in top_level_rules(block)), block
    assert "<link" not in html and "<script" not in html and "@font-face" not in html and "@import" not in html
    assert "max-width: 640px" in html


def test_the_masthead_note_and_contents(site):
    site_, issue = loaded(site)
    soup = BeautifulSoup(html_of(parsed(composed(site_, issue))), "html.parser")
    text = soup.get_text()
    assert "测试简报" in text and "2017年第1期（总第90期）" in text and "2017年1月6日" in text
    assert "编者按" in text and "本期关注全国碳市场建设。" in text
    image = soup.find("img", alt="碳价")
    assert image is not None and image["src"] == f"{BASE}issues/2017-01/images/price.png"
    assert "【市场热点】" in text and "【政策聚焦】" in text
    assert text.index("【市场热点】") < text.index("各交易所碳价走势") < text.index("【政策聚焦】")
    for article in issue.articles:
        link = soup.find("a", href=f"{BASE}{article.url_path}")
        assert link is not None and link.get_text() == article.title
    assert "发布日期：2017-1-5　来源：碳K线" in text
    assert soup.find("a", href=f"{BASE}issues/2017-01/") is not None


def test_every_link_is_absolute(site):
    site_, issue = loaded(site, unsubscribe=("mailto:leave@example.org", "https://example.org/bulletin/leave"))
    note = "见[方案](plan.pdf)与[目录](#toc)[^1]，另见[国务院](https://www.gov.cn/)。\n\n[^1]: 脚注"
    message = parsed(composed(site_, dataclasses.replace(issue, note=note), pdf=None))
    soup = BeautifulSoup(html_of(message), "html.parser")
    hrefs = [str(a["href"]) for a in soup.find_all(href=True)]
    assert len(hrefs) >= 8
    assert all(h.startswith((BASE, "mailto:", "https://www.gov.cn/")) for h in hrefs), hrefs
    assert f"{BASE}issues/2017-01/plan.pdf" in hrefs and f"{BASE}issues/2017-01/#fn:1" in hrefs
    assert all(str(i["src"]).startswith(BASE) for i in soup.find_all(src=True))
    text = text_of(message)
    assert f"见方案（{BASE}issues/2017-01/plan.pdf）与目录" in text and "[1]" in text and "脚注" in text


def test_the_pdf_is_attached_with_its_chinese_name(site):
    site_, issue = loaded(site)
    message = parsed(composed(site_, issue))
    assert message.get_content_type() == "multipart/mixed"
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "测试简报-2017年第1期.pdf"
    assert attachment.get_content() == PDF
    assert b"filename*" in composed(site_, issue).as_bytes(policy=email.policy.SMTP)  # RFC 2231
    assert "本期 PDF 见附件" in html_of(message) and "下载本期 PDF" not in html_of(message)


@pytest.mark.parametrize("send, pdf", [({"attach_limit": 0}, PDF), ({"attach": False}, PDF), ({}, None)],
                         ids=["over-the-limit", "attach-false", "no-pdf"])
def test_the_pdf_is_linked_otherwise(site, send, pdf):
    site_, issue = loaded(site, **send)
    message = parsed(composed(site_, issue, pdf=pdf))
    assert message.get_content_type() == "multipart/alternative"
    assert list(message.iter_attachments()) == []
    url = f"{BASE}pdf/2017-01.pdf"
    soup = BeautifulSoup(html_of(message), "html.parser")
    link = soup.find("a", href=url)
    assert link is not None and link.get_text() == "下载本期 PDF"
    assert f"下载本期 PDF：{url}" in text_of(message) and "见附件" not in text_of(message)


def test_a_pdf_at_the_limit_is_attached(site):
    site_, issue = loaded(site, attach_limit=1)
    assert len(list(parsed(composed(site_, issue, pdf=b"x" * 1_000_000)).iter_attachments())) == 1
    assert list(parsed(composed(site_, issue, pdf=b"x" * 1_000_001)).iter_attachments()) == []


def test_markup_in_a_title_is_text(site):
    path = site / "content/issues/2017-01/01-carbon-price.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "title: 各交易所碳价走势", "title: \"<script>alert(1)</script> A & B\""), encoding="utf-8")
    site_, issue = loaded(site)
    message = parsed(composed(site_, issue))
    html = html_of(message)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; A &amp; B" in html
    assert "<script" not in html.lower()
    assert "<script>alert(1)</script> A & B" in text_of(message)  # plain text: as written


def top_level_rules(css: str) -> list[str]:
    """The preludes of the top-level rules of a stylesheet (`@media (…)`, `.a p`)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    preludes, depth, start = [], 0, 0
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                preludes.append(css[start:index].strip())
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                start = index + 1
    return preludes
