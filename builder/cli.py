"""The `newsletter` command: parses arguments, calls one function per command, maps errors to exit codes.

Exit codes: 0 success, 1 errors in the content, 2 wrong usage (argparse's own convention),
3 a fault of the builder itself (reported in one line, the traceback kept in a file),
4 the machine lacks something the builder needs (a package at another version than pinned),
5 `send` did not reach every subscriber (failed, left for the next run, or in doubt: it says which).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from builder import __version__, routes
from builder.errors import ContentError, ContentErrors, ErrorLog, SetupProblem

# The libraries and the rest of the builder are imported by the commands that use them:
# a build that finds nothing changed since the last one is over before they would be loaded.

OK, CONTENT_ERROR, USAGE_ERROR, INTERNAL_ERROR, SETUP_ERROR, NOT_ALL_SENT = 0, 1, 2, 3, 4, 5


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return USAGE_ERROR
    root = Path(args.site)
    # `kill` stops a build the way Ctrl-C does: workers stopped, nothing half-written left.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        return args.run(args, root)
    except ContentErrors as errors:
        _print_errors(errors.errors, root, "nothing was sent" if args.command == "send" else "nothing was written")
        return CONTENT_ERROR
    except SetupProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return SETUP_ERROR
    except BrokenPipeError:  # the reader of the output went away (`newsletter check | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except KeyboardInterrupt:
        print("interrupted; " + ("the message that was with the server, if any, is in doubt: see --status"
                                 if args.command == "send" else "the published output was left as it was"),
              file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 (a fault of ours: one line for the editor, the details in a file)
        report = _save_traceback()
        print(f"error: the builder failed unexpectedly ({type(exc).__name__}: {str(exc)[:200]}); "
              f"the published output was left as it was\n    hint: this is a fault of the builder, not of your "
              f"content; please report it with the file {report}", file=sys.stderr)
        return INTERNAL_ERROR
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _save_traceback() -> str:
    with tempfile.NamedTemporaryFile("w", prefix="newsletter-fault-", suffix=".txt", delete=False) as file:
        traceback.print_exc(file=file)
        return file.name


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _build(args: argparse.Namespace, root: Path) -> int:
    from builder.cache import stamp

    started = time.perf_counter()
    output = Path(args.output) if args.output else root / routes.OUTPUT_DIR
    pdf = not args.no_pdf
    read = stamp.inputs(root)  # before anything is read: a change made during the build is one for the next
    search = not args.no_search
    last = stamp.up_to_date(root, output, args.drafts, pdf, read, search) if not args.no_cache else None
    if last is not None:
        warnings = last.get("warnings")
        for line in warnings if isinstance(warnings, list) else ():
            print(line, file=sys.stderr)
        print(f"{last.get('counts')} in {output}: nothing changed since the last build, so nothing was written "
              f"({time.perf_counter() - started:.1f} s)")
        return OK
    from builder.forked import default_jobs
    from builder.pipeline import build

    result = build(root, output, drafts=args.drafts, pdf=pdf, report=lambda line: print(f"  {line}"),
                   cache=not args.no_cache, jobs=args.jobs or default_jobs(), seen=read.issues, search=search)
    _print_warnings(result.warnings, root)
    if result.kept:
        shown = ", ".join(result.kept[:5]) + (f" and {len(result.kept) - 5} more" if len(result.kept) > 5 else "")
        print(f"  kept {len(result.kept)} file{'s' if len(result.kept) != 1 else ''} that the build did not write "
              f"in {output}: {shown}")
    counts = (f"{result.issues} issues, {result.articles} articles: {result.pages} pages, {result.pdfs} PDFs"
              f" and {result.files} files")
    print(f"built {counts} into {output} in {time.perf_counter() - started:.1f} s")
    stamp.record(root, output, args.drafts, pdf, read, {
        "counts": counts, "warnings": [f"warning: {warning.format(root)}" for warning in result.warnings]},
        result.depends, search)
    return OK


def _check(args: argparse.Namespace, root: Path) -> int:
    import json

    from builder.pipeline import check

    archive, log = check(root)
    if args.format == "json":
        findings = [_finding(error, "error", root) for error in log.errors] + \
                   [_finding(warning, "warning", root) for warning in log.warnings]
        print(json.dumps({"errors": len(log.errors), "warnings": len(log.warnings), "findings": findings},
                         ensure_ascii=False, indent=1))
        return CONTENT_ERROR if log.errors else OK
    _print_warnings(tuple(log.warnings), root)
    if log.errors:
        _print_errors(log.errors, root, "nothing was written")
        return CONTENT_ERROR
    assert archive is not None
    warned = f", {len(log.warnings)} warning{'s' if len(log.warnings) != 1 else ''}" if log.warnings else ""
    print(f"checked {len(archive.issues)} issues and {len(archive.articles())} articles: no errors{warned}")
    return OK


def _finding(error: ContentError, severity: str, root: Path) -> dict[str, object]:
    """One finding for tools: the file as the editor names it (relative to the site), the
    line, the column where it is known (never yet: null), the severity, message and hint."""
    place = error.location(root)
    return {"file": place.rsplit(":", 1)[0] if error.line else (place or None), "line": error.line,
            "column": None, "severity": severity, "message": error.message, "hint": error.hint or None}


def _serve(args: argparse.Namespace, root: Path) -> int:
    import errno

    from builder.serve.http import LOOPBACK
    from builder.serve.loop import CannotServe, run

    if not (root / routes.SITE_FILE).is_file():
        raise ContentErrors.one(root / routes.SITE_FILE, "there is no site.yaml here, so there is no site to serve",
                                None, "run the command in the site's folder, or give it with --site DIR")
    # Ctrl-C stops the server even where the shell that started it ignores SIGINT (a job in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.host not in LOOPBACK:
        print(f"warning: serving on {args.host}: anyone who can reach this machine sees the drafts too",
              file=sys.stderr)
    try:
        run(root, args.host, args.port, not args.no_drafts, report=lambda line: print(line, flush=True),
            errors=lambda line: print(line, file=sys.stderr, flush=True))
    except CannotServe as problem:
        code = problem.cause.errno
        if code in (errno.EADDRINUSE, errno.EACCES):
            taken = "is in use (another `newsletter serve`, or another server?)" if code == errno.EADDRINUSE \
                else "may not be used by this user"
            print(f"error: port {args.port} on {args.host} {taken}\n    hint: choose another with --port, "
                  f"e.g. --port {args.port + 1}", file=sys.stderr)
        else:
            print(f"error: cannot serve on {args.host} ({problem})\n    hint: give this machine's address with "
                  "--host, e.g. --host 127.0.0.1", file=sys.stderr)
        return USAGE_ERROR
    except (KeyboardInterrupt, SystemExit):
        pass
    print("stopped", flush=True)
    return OK


def _new(args: argparse.Namespace, root: Path) -> int:
    import datetime as dt

    from builder.pipeline import load

    archive, _ = load(root, drafts=True)
    today = dt.date.today()
    if args.what == "issue":
        from builder.scaffold.issue import next_issue, write_issue

        issue = next_issue(archive, args.date, today)
        path = write_issue(root, issue)
        print(f"wrote {path.relative_to(root)}: {issue.label}, {issue.date.isoformat()}, a draft")
        print(f'next: newsletter new article --section {archive.site.sections[0].name} --title "…"'
              f"{'' if root == Path('.') else f' --site {root}'}, then look at it with newsletter serve; "
              f"delete the line 'draft: true' from issue.yaml to publish it")
        return OK
    from builder.scaffold.article import new_article, write_article

    article = new_article(archive, args.issue, args.section, args.title, args.source or "", args.date, today)
    path = write_article(article)
    print(f"wrote {path.relative_to(root)}: 【{article.section.name}】{article.title} (order {article.order}, "
          f"来源 {article.source}, 发布日期 {article.date.isoformat()}), in {article.issue.label}")
    print(f"next: write the article below its front matter; it will be at "
          f"/{routes.article_folder(article.issue.slug, article.slug)} in newsletter serve")
    return OK


def _import(args: argparse.Namespace, root: Path) -> int:
    from builder.files import read_text
    from builder.importer.back_issue import format_summary, issue_meta, parse_extracted_text, write_issue
    from builder.source.config import load_site
    from builder.source.content import slug_problem

    log = ErrorLog()
    site = load_site(root, log)
    source = Path(args.file)
    if not source.is_file():
        log.error(source, "there is no such file", hint="give the path of the extracted text, e.g. issue.txt")
    problem = slug_problem(args.issue)
    if problem:
        log.error(None, f"--issue: {problem}", hint="use letters, digits and hyphens, e.g. --issue 2017-18")
    text = read_text(source, log, page_breaks=True) if source.is_file() else None
    log.raise_if_any()
    assert site is not None and text is not None
    issue = parse_extracted_text(text, source, site.sections)
    meta = issue_meta(issue, source, args.year, args.number, args.total, args.date)
    folder = site.issues_dir / args.issue
    written = write_issue(issue, folder, meta, args.force)
    print(format_summary(issue), end="")
    print(f"wrote {folder / routes.ISSUE_FILE} and {len(written) - 1} articles"
          f" ({meta.year}年第{meta.number}期，总第{meta.total}期，{meta.date.isoformat()})")
    print("review the articles listed above, then run: newsletter check")
    return OK


def _send(args: argparse.Namespace, root: Path) -> int:
    from builder.mail import campaign  # the mail libraries, only for this command
    from builder.pipeline import load
    from builder.source.config import load_site

    report = lambda line: print(line, file=sys.stderr)  # noqa: E731
    log = ErrorLog()
    site = load_site(root, log)
    log.raise_if_any()
    assert site is not None
    if args.status:
        archive, _ = load(root)
        campaign.status(archive, args.issue, lambda line: print(line))
        return OK
    request = campaign.Request(args.issue, Path(args.output) if args.output else root / routes.OUTPUT_DIR,
                               Path(args.to) if args.to else None, tuple(args.group), args.smtp or "",
                               args.resend_in_doubt)
    archive, log = load(root)
    chosen = campaign.prepare(archive, request, log)
    _print_warnings(tuple(log.warnings), root)
    if not args.send:
        campaign.preview(chosen, request.output, report)
        return OK
    outcome = campaign.send(chosen, request, report)
    return OK if outcome.complete else NOT_ALL_SENT


def _jobs(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 256:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of processes from 1 to 256")
    return int(value)


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number from 1 to 65535")
    return int(value)


def _date(value: str):
    from builder.source.fields import parse_date

    date = parse_date(value)
    if date is None:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date; write it as 2017-05-05")
    return date


def _print_errors(errors: Sequence[ContentError], root: Path, outcome: str) -> None:
    for error in errors:
        print(f"error: {error.format(root)}", file=sys.stderr)
    count = len(errors)
    print(f"{count} error{'s' if count != 1 else ''}; {outcome}", file=sys.stderr)


def _print_warnings(warnings: Sequence[ContentError], root: Path) -> None:
    for warning in warnings:
        print(f"warning: {warning.format(root)}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsletter",
        description="Build the 节能减排信息动态 archive and print editions from Markdown.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def site_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--site", default=".", metavar="DIR",
                             help="the site's folder, holding site.yaml and content/ (default: the current folder)")

    build_cmd = commands.add_parser(
        "build", help="build the archive into output/",
        description="Check the content, then build the HTML archive into output/. If anything is wrong, every error "
                    "is listed and output/ is left as it was.")
    site_option(build_cmd)
    build_cmd.add_argument("--output", metavar="DIR",
                           help="where to write the site (default: output/ in the site's folder)")
    build_cmd.add_argument("--drafts", action="store_true", help="include issues and articles marked 'draft: true'")
    build_cmd.add_argument("--no-pdf", action="store_true",
                           help="leave out the print editions (PDF); the archive then links no PDF")
    build_cmd.add_argument("--no-search", action="store_true",
                           help="leave out the search index (pagefind/); the search page then finds nothing")
    build_cmd.add_argument("--no-cache", action="store_true",
                           help="build from scratch: take nothing from .cache/ (which is then written anew)")
    build_cmd.add_argument("--jobs", type=_jobs, metavar="N",
                           help="processes that read and render the archive (default: one for each core); the "
                                "print editions have their own, one for each core")
    build_cmd.set_defaults(run=_build)

    check_cmd = commands.add_parser("check", help="check the content, write nothing",
                                    description="Read site.yaml and every issue and article, drafts included, "
                                                "check every character against the print edition's fonts and "
                                                "every link and picture of every page, and list every error "
                                                "(exit 1) and warning (gaps in the numbering, an article dated "
                                                "after its issue, an empty section, a title in two issues). "
                                                "Writes nothing.")
    site_option(check_cmd)
    check_cmd.add_argument("--format", choices=("text", "json"), default="text",
                           help="json: the findings for tools (file, line, column, severity, message, hint)")
    check_cmd.set_defaults(run=_check)

    serve_cmd = commands.add_parser(
        "serve", help="preview the site in a browser, rebuilt as files are saved",
        description="Build the site, drafts included, into .cache/serve/ (output/ is left alone) and serve it "
                    "on http://127.0.0.1:8000/. Every save of content/, templates/, themes/ or site.yaml rebuilds "
                    "what it changes, and every open page it changed reloads by itself once the rebuild is done; "
                    "the issue's PDF is typeset again aside. While a file has errors, the pages show them. "
                    "Ctrl-C stops.")
    site_option(serve_cmd)
    serve_cmd.add_argument("--host", default="127.0.0.1", help="the address to serve on (default: 127.0.0.1, "
                                                               "this machine only)")
    serve_cmd.add_argument("--port", type=_port, default=8000, help="the port (default: 8000)")
    serve_cmd.add_argument("--no-drafts", action="store_true", help="leave out the drafts, as readers will see it")
    serve_cmd.set_defaults(run=_serve)

    new_cmd = commands.add_parser("new", help="start the next issue, or an article in it",
                                  description="Write the files an issue or an article starts from; never "
                                              "replaces a file.")
    new_kinds = new_cmd.add_subparsers(dest="what", metavar="WHAT", required=True)
    new_issue = new_kinds.add_parser(
        "issue", help="the next issue's folder and issue.yaml",
        description="Create the next issue's folder, named as the others are (2017-19), with an issue.yaml: the "
                    "next 期号 in the year (1 in a new year), the next 总期号, the next publication day (the "
                    "weekday of the latest issue) or --date. The issue is a draft until you delete 'draft: true'.")
    site_option(new_issue)
    new_issue.add_argument("--date", type=_date, help="its publication date (default: the next day on the latest "
                                                      "issue's weekday)")
    new_article = new_kinds.add_parser(
        "article", help="an article's Markdown file, front matter filled in",
        description="Create an article in the latest issue (or --issue): its file numbered after the others, its "
                    "web address from the title in pinyin, the next order in its section.")
    site_option(new_article)
    new_article.add_argument("--section", required=True, help="栏目, by name or slug (e.g. 政策聚焦 or policy)")
    new_article.add_argument("--title", required=True, help="the title")
    new_article.add_argument("--source", help="来源 (default: the bulletin's own title)")
    new_article.add_argument("--date", type=_date, help="发布日期 (default: today, or the issue's date if earlier)")
    new_article.add_argument("--issue", metavar="SLUG", help="the issue's folder name (default: the latest issue)")
    new_cmd.set_defaults(run=_new)

    import_cmd = commands.add_parser(
        "import", help="import a back issue from text extracted from its PDF",
        description="Read the text extracted from a printed issue (e.g. with pdftotext) and write "
                    "content/issues/ISSUE/: issue.yaml and one Markdown file per article. Prints a "
                    "table of the articles and what to review. Never replaces an issue without --force.")
    site_option(import_cmd)
    import_cmd.add_argument("file", metavar="FILE", help="the extracted text (UTF-8)")
    import_cmd.add_argument("--issue", required=True, metavar="SLUG",
                            help="the issue's folder name and web address, e.g. 2017-18")
    import_cmd.add_argument("--year", type=int, help="the year (default: the year of --date)")
    import_cmd.add_argument("--number", type=int, help="期号 within the year")
    import_cmd.add_argument("--total", type=int, help="总期号 (default: as printed in a page header of the text)")
    import_cmd.add_argument("--date", type=_date, help="publication date (default: the newest 发布日期)")
    import_cmd.add_argument("--force", action="store_true", help="replace the issue if it exists")
    import_cmd.set_defaults(run=_import)

    send_cmd = commands.add_parser(
        "send", help="send an issue to its subscribers by email (a dry run unless --send)",
        description="Write one message to each subscriber of the built issue: the 目录 and 编者按, the PDF attached "
                    "or linked. Without --send it only writes the messages under output/outbox/ISSUE/ to look "
                    "at. With --send each subscriber gets the issue once: the ledger (send.ledger in site.yaml) "
                    "records every message, and a run that stopped goes on where it stopped. SMTP settings come "
                    "from site.yaml's smtp:, NEWSLETTER_SMTP_HOST, _PORT and _USER, and --smtp; the password "
                    "only from NEWSLETTER_SMTP_PASSWORD.")
    site_option(send_cmd)
    send_cmd.add_argument("issue", metavar="ISSUE", help="the issue's folder name, e.g. 2017-18")
    send_cmd.add_argument("--to", metavar="FILE", help="the subscriber list (CSV: email,name,groups); "
                                                      "default: send.subscribers in site.yaml")
    send_cmd.add_argument("--group", action="append", default=[], metavar="NAME",
                          help="only the subscribers of this group (may be given more than once)")
    send_cmd.add_argument("--smtp", metavar="HOST:PORT", help="the mail server, instead of site.yaml's")
    send_cmd.add_argument("--output", metavar="DIR", help="the built site (default: output/ in the site's folder)")
    mode = send_cmd.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="write the messages to look at, send nothing "
                                                             "(the default)")
    mode.add_argument("--send", action="store_true", help="send them")
    mode.add_argument("--status", action="store_true", help="what the ledger says of this issue: sent, failed, "
                                                            "left, in doubt")
    send_cmd.add_argument("--resend-in-doubt", action="store_true",
                          help="with --send: send again the messages a stopped run left in doubt")
    send_cmd.set_defaults(run=_send)
    return parser


if __name__ == "__main__":
    sys.exit(main())
