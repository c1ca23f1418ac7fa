"""Imported once by the fork server the typesetters are forked from (`editions.Typesetters`):
WeasyPrint and the extension loaded there, their memory shared by every worker forked
after, and no second of loading for each pool that replaces another. Whatever goes wrong
(another WeasyPrint, a missing library) is left for the workers to report: raised here,
it would stop the fork server, and with it every worker."""

import gc

try:
    from builder.print import weasyprint_cjk

    weasyprint_cjk.ensure()
except Exception:  # noqa: BLE001,S110 (reported by the workers, as said)
    pass
gc.freeze()  # not collected in the server nor in the workers, which would copy its pages into each
