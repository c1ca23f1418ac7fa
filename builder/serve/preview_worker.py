"""`python -m builder.serve.preview_worker SITE FOLDER drafts|published SLUG,SLUG… SERVER_PID`:
the print editions of the issues SLUG typeset (or taken from the PDF cache) into FOLDER/<slug>.pdf, one
after the other, each file replaced whole once complete; an issue that cannot be set
gets FOLDER/<slug>.errors instead (its errors, one a line, as `newsletter check` says
them). Run by `previews.Previews` in a process of its own, which it stops when a newer
change makes the work stale.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from builder.errors import ContentError, ContentErrors


def main(argv: list[str]) -> int:
    from builder.pipeline import load
    from builder.print.editions import edition, stop_with
    from builder.render.themes import template_env

    stop_with(int(argv[4]) if len(argv) > 4 and argv[4].isdigit() else os.getppid())  # dies with the server

    root, folder, drafts, slugs = Path(argv[0]), Path(argv[1]), argv[2] == "drafts", argv[3].split(",")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        archive, _ = load(root, drafts)
    except ContentErrors as found:  # the build says so too; nothing to preview
        for slug in slugs:
            _errors(folder, root, slug, found.errors)
        return 1
    env = template_env(archive.site)
    issues = {issue.slug: issue for issue in archive.issues}
    for slug in slugs:
        issue = issues.get(slug)
        if issue is None:  # withdrawn meanwhile, or a draft not previewed
            _replace(folder, f"{slug}.errors", f"{slug}: this issue is not in the site being previewed (a draft, "
                     "with --no-drafts, or withdrawn)\n".encode())
            continue
        pdf, errors = edition(archive, issue, env)
        if pdf is None:
            _errors(folder, root, slug, errors)
            continue
        data = pdf if isinstance(pdf, bytes) else pdf.read_bytes()
        _replace(folder, f"{slug}.pdf", data)
        (folder / f"{slug}.errors").unlink(missing_ok=True)
    return 0


def _errors(folder: Path, root: Path, slug: str, errors: tuple[ContentError, ...] | list[ContentError]) -> None:
    _replace(folder, f"{slug}.errors", "".join(f"{error.format(root)}\n" for error in errors).encode("utf-8"))


def _replace(folder: Path, name: str, data: bytes) -> None:
    target = folder / name  # `name` from an issue's slug: letters, digits and hyphens
    partial = folder / f".{name}.{os.getpid()}.part"
    partial.write_bytes(data)
    os.replace(partial, target)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
