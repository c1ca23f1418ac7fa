"""builder.errors: one error type with places, collected for a whole run."""

import contextlib
from pathlib import Path

import pytest

from builder.errors import ContentError, ContentErrors, ErrorLog


def test_an_error_names_its_file_line_and_hint_relative_to_the_site(tmp_path):
    error = ContentError(tmp_path / "content/issues/2017-18/x.md", "unknown section '市场'", 4, "use one of …")
    assert error.format(tmp_path) == "content/issues/2017-18/x.md:4: unknown section '市场'\n    hint: use one of …"
    assert ContentError(None, "no place").format(tmp_path) == "no place"


def test_errors_are_plain_exceptions_that_take_notes_and_tracebacks():
    errors = ContentErrors.one(Path("site.yaml"), "there is no site.yaml here")
    errors.add_note("while building")
    assert errors.__notes__ == ["while building"]

    @contextlib.contextmanager
    def stage():
        yield

    with pytest.raises(ContentErrors) as caught:
        with stage():
            raise errors
    assert caught.value is errors and caught.value.__traceback__ is not None
    assert [e.message for e in caught.value.errors] == ["there is no site.yaml here"]
    assert str(caught.value) == "site.yaml: there is no site.yaml here"


def test_a_scoped_log_tells_its_own_errors_and_passes_them_on():
    log = ErrorLog()
    log.error(Path("a.md"), "first")
    part = log.scope()
    assert not part  # the run's earlier error is not this part's
    part.error(Path("b.md"), "second", 3)
    part.warn(Path("b.md"), "careful")
    inner = part.scope()
    inner.error(Path("c.md"), "third")
    assert part and inner
    assert [e.message for e in log.errors] == ["first", "second", "third"]
    assert [e.message for e in part.errors] == ["second", "third"]
    assert [w.message for w in log.warnings] == ["careful"]
    with pytest.raises(ContentErrors) as caught:
        log.raise_if_any()
    assert len(caught.value.errors) == 3


def test_errors_raised_in_a_worker_process_come_back_whole():
    import pickle

    for errors in (ContentErrors.one(Path("a.md"), "one", 2, "hint"),
                   ContentErrors([ContentError(Path("a.md"), "one"), ContentError(None, "two")])):
        again = pickle.loads(pickle.dumps(errors))
        assert isinstance(again, ContentErrors) and again.errors == errors.errors
