"""The WeasyPrint the extension is written for, and the error for any other.

Apart from the modules that reach into WeasyPrint, so that a WeasyPrint whose modules
were moved or renamed is reported with this error, not as an ImportError.
"""

from __future__ import annotations

from builder.errors import SetupProblem

# The WeasyPrint release the patches are written for; pyproject.toml pins the same.
EXPECTED_WEASYPRINT = "70.0"


class WeasyPrintMismatch(SetupProblem):
    """The installed WeasyPrint is not the one builder.print.weasyprint_cjk patches."""


def mismatch(installed: str, changed: list[str]) -> WeasyPrintMismatch:
    """The error for WeasyPrint `installed`, saying what `changed` and what to do."""
    if installed != EXPECTED_WEASYPRINT:
        first = (f"WeasyPrint {installed} is installed, but the print edition's typesetting needs "
                 f"WeasyPrint {EXPECTED_WEASYPRINT} exactly")
    else:
        first = (f"WeasyPrint {installed} is installed, but its internals are not those of the WeasyPrint "
                 f"{EXPECTED_WEASYPRINT} the print edition's typesetting needs")
    return WeasyPrintMismatch(
        f"{first}: install weasyprint=={EXPECTED_WEASYPRINT}, e.g. by running ./dev build, which installs the "
        f"pinned packages (or: .venv/bin/python -m pip install weasyprint=={EXPECTED_WEASYPRINT}).\n"
        f"What changed (builder/print/weasyprint_cjk patches WeasyPrint's internals):\n"
        + "".join(f"  - {change}\n" for change in changed))
