"""One issue's email to one subscriber: the headers, a text and an HTML part, the PDF.

The HTML part comes from the theme's `mail/issue.html` with `mail/mail.css`, whose rules
are then written into each element's `style` attribute (css-inline): mail clients drop
`<style>`, and a message has no base URL, so every link in it is absolute. The text part
(`mail/issue.txt`) says the same in plain text. Headers are made by the email package
(RFC 2047 for Chinese words, RFC 2231 for the PDF's file name), never by joining strings.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import hashlib
import re
from collections.abc import Iterable
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import css_inline
import jinja2
from bs4 import BeautifulSoup, Tag

from builder import routes
from builder.model import Article, Issue, Section, Site
from builder.render import markdown
from builder.render.dates import format_date

HTML_TEMPLATE = "mail/issue.html"
TEXT_TEMPLATE = "mail/issue.txt"
STYLESHEET = "mail/mail.css"

# Each part 7-bit clean: the email package encodes UTF-8 text as quoted-printable or
# base64 (lines under 998 characters); under SMTP's default 8bit it would send raw UTF-8,
# which a server without 8BITMIME may mangle.
POLICY = email.policy.SMTP.clone(cte_type="7bit")
ONE_CLICK = "List-Unsubscribe=One-Click"  # RFC 8058's List-Unsubscribe-Post


def compose(site: Site, issue: Issue, env: jinja2.Environment, to_email: str, to_name: str,
            pdf: bytes | None, sent_at: dt.datetime) -> EmailMessage:
    """The message of `issue` for the subscriber `to_name` <`to_email`>: multipart/alternative
    (text, HTML), in multipart/mixed with the PDF when `pdf` is given, attaching is on
    (`send.attach`) and it is no larger than `send.attach_limit` MB; else the PDF is linked."""
    if not site.smtp.sender:
        raise ValueError("smtp.sender is not set: the message needs a From address")
    attached = pdf is not None and site.send.attach and len(pdf) <= site.send.attach_limit * 1_000_000
    mailto, https = unsubscribe_uris(site, to_email)
    issue_url = routes.absolute(site.base_url, issue.url_path)
    note = _note_html(site, issue, issue_url)
    context: dict[str, Any] = {
        "site": site,
        "issue": issue,
        "subject": subject(site, issue),
        "home_url": site.base_url,
        "issues_url": routes.absolute(site.base_url, routes.ISSUE_LIST),
        "issue_url": issue_url,
        "pdf_url": routes.absolute(site.base_url, issue.pdf_path),
        "pdf_attached": attached,
        "groups": _groups(site, issue),
        "note": note,
        "note_text": plain_text(note),
        "to_email": to_email,
        "unsubscribe_url": https or mailto,
    }
    stylesheet = env.get_template(STYLESHEET).render(site=site)
    html = env.get_template(HTML_TEMPLATE).render(context, stylesheet=stylesheet)
    # The rules go into style="" attributes; only @media rules, which cannot, stay in a
    # <style>. Nothing is fetched: a <link> a theme might add is dropped, not loaded.
    html = css_inline.inline(html, keep_at_rules=True, load_remote_stylesheets=False)
    text = env.get_template(TEXT_TEMPLATE).render(context)

    message = EmailMessage(policy=POLICY)
    message["From"] = Address(display_name=site.smtp.sender_name or site.title, addr_spec=site.smtp.sender)
    message["To"] = Address(display_name=to_name, addr_spec=to_email)
    message["Subject"] = context["subject"]
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id(site, issue, to_email)
    if mailto or https:
        message["List-Unsubscribe"] = _UriList("List-Unsubscribe", [u for u in (mailto, https) if u])
    if https:
        # RFC 8058: one click is a POST to the https URL; a mailto alone offers no one-click.
        message["List-Unsubscribe-Post"] = ONE_CLICK
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    if attached and pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_filename(site, issue))
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # the email package repeats it in every part; it belongs at the top
    return message


def subject(site: Site, issue: Issue) -> str:
    """The subject from `send.subject`: {title} {year} {number} {total} {label} {date}, on one line."""
    values = {"title": site.title, "year": issue.year, "number": issue.number, "total": issue.total,
              "label": issue.label, "date": format_date(issue.date)}
    return " ".join(site.send.subject.format_map(values).split())


def message_id(site: Site, issue: Issue, to_email: str) -> str:
    """The same for the same issue, subscriber and site, so a message sent again (a retry,
    a message in doubt) is known by the receiving side for what it is."""
    key = "\n".join((to_email.lower(), issue.slug, site.base_url))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    left = re.sub(r"[^A-Za-z0-9-]+", "-", issue.slug).strip("-") or "issue"
    return f"<{left}.{digest}@{_domain(site)}>"


def pdf_filename(site: Site, issue: Issue) -> str:
    """节能减排信息动态-2017年第18期.pdf; characters no file system takes replaced."""
    title = re.sub(r'[\\/:*?"<>|\s]+', "_", site.title)
    return f"{title}-{issue.year}年第{issue.number}期.pdf"


def unsubscribe_uris(site: Site, to_email: str) -> tuple[str, str]:
    """The first mailto: and the first https:// of `send.unsubscribe`, as URIs for the
    subscriber (each "" when there is none): mailto:addr?subject=unsubscribe, and the
    https URL with `email=` the subscriber's address, so one click says who leaves."""
    mailto = https = ""
    for target in site.send.unsubscribe:
        if target.startswith("mailto:") and not mailto:
            address, _, query = target[len("mailto:"):].partition("?")
            mailto = "mailto:" + _ascii(address) + "?" + (_ascii(query) if query else "subject=unsubscribe")
        elif target.startswith("https://") and not https:
            parts = urlsplit(_ascii(target))
            query = (parts.query + "&" if parts.query else "") + "email=" + quote(to_email, safe="")
            https = urlunsplit(parts._replace(query=query))
    return mailto, https


def plain_text(html: str) -> str:
    """A fragment of the sanitised HTML as plain text: a blank line between blocks, a
    link's address after its words, a picture by its alt text."""
    if not html:
        return ""
    soup = BeautifulSoup(html, "html.parser")
    for rule in soup.find_all("hr"):
        rule.decompose()
    for link in soup.find_all("a"):
        classes = link.get_attribute_list("class")
        words = link.get_text()
        href = str(link.get("href") or "")
        if "footnote-backref" in classes:
            link.decompose()
        elif "footnote-ref" in classes:
            link.replace_with(f"[{words}]")
        elif href and href != words:
            link.replace_with(f"{words}（{href}）")
    for image in soup.find_all("img"):
        alt = str(image.get("alt") or "")
        image.replace_with(f"[图：{alt}]" if alt else "[图]")
    for note in soup.select("div.footnote li"):
        note.insert(0, f"[{len(note.find_previous_siblings('li')) + 1}] ")
    for item in soup.find_all("li"):
        if not (isinstance(item.parent, Tag) and item.parent.find_parent("div", class_="footnote")):
            item.insert(0, "· ")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after("　")
    for block in soup.find_all(["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure",
                                "figcaption", "tr", "div", "ol", "ul", "table", "pre", "dl", "dt", "dd"]):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    text = soup.get_text().replace("\xa0", " ")
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _UriList(str):
    """A header of URIs in angle brackets (List-Unsubscribe), folded after its commas.

    The email package folds a long unstructured header into RFC 2047 encoded words, which
    no client reads as a URI. A value with a `name` is taken as a header object by the
    policy (EmailPolicy.header_store_parse) and folds itself."""

    name: str

    def __new__(cls, name: str, uris: Iterable[str]) -> _UriList:
        value = super().__new__(cls, ", ".join(f"<{uri}>" for uri in uris))
        value.name = name
        return value

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        line = f"{self.name}: {self}"
        if not policy.max_line_length or len(line) <= policy.max_line_length:
            return line + linesep
        return f"{self.name}: " + ("," + linesep + " ").join(self.split(", ")) + linesep


def _groups(site: Site, issue: Issue) -> list[tuple[Section, list[tuple[Article, str]]]]:
    """The 目录: each section with its articles and their addresses in the archive."""
    return [(section, [(article, routes.absolute(site.base_url, article.url_path)) for article in articles])
            for section, articles in issue.sections()]


def _note_html(site: Site, issue: Issue, issue_url: str) -> str:
    """The 编者按 through the one Markdown pipeline, its files at the issue's address; any
    other link without a scheme (a footnote's #fn:1) made absolute against the issue's
    page, which carries the same note."""
    if not issue.note:
        return ""
    soup = BeautifulSoup(markdown.render(issue.note, issue_url, raw_html=site.raw_html), "html.parser")
    for tag in soup.find_all(True):
        for attribute in ("href", "src"):
            value = tag.get(attribute)
            if value is not None and not urlsplit(str(value)).scheme:
                tag[attribute] = urljoin(issue_url, str(value))
    return str(soup)


def _domain(site: Site) -> str:
    """The right side of the Message-ID: the sender's domain, else the site's host, in ASCII."""
    for host in (site.smtp.sender.rpartition("@")[2], urlsplit(site.base_url).hostname or ""):
        try:
            name = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            continue
        if re.fullmatch(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?", name):
            return name
    return "localhost"


def _ascii(uri: str) -> str:
    """`uri` with anything outside printable ASCII percent-encoded (and `<`, `>`, `"`,
    spaces, which would end the URI in a header), the rest as written."""
    return quote(uri, safe="%:/?#[]@!$&'()*+,;=~")
