"""How a line's slack is shared out (builder.print.weasyprint_cjk.plan): numbers in, numbers out, no WeasyPrint boxes."""

import pytest

from builder.print.weasyprint_cjk.cjk import opportunities
from builder.print.weasyprint_cjk.plan import gap_steps, line_end_cut, squeeze_plan, tighten_plan

CAP = 1.0  # px, to keep the arithmetic readable


def counts(space=0, mixed=0, cjk=0):
    return {"space": space, "mixed": mixed, "cjk": cjk}


def spread(steps, gaps):
    """The width the steps add to a line with these gaps."""
    return sum(steps[kind] * number for kind, number in gaps.items())


def test_slack_under_the_cap_is_spread_evenly_over_every_gap():
    gaps = counts(space=1, mixed=2, cjk=7)
    steps = gap_steps(5.0, gaps, CAP)
    assert steps == {"space": 0.5, "mixed": 0.5, "cjk": 0.5}
    assert spread(steps, gaps) == 5.0


def test_slack_of_exactly_the_cap_per_gap_is_still_spread_evenly():
    assert gap_steps(10.0, counts(cjk=10), CAP) == {"space": 1.0, "mixed": 1.0, "cjk": 1.0}
    assert gap_steps(10.0, counts(space=1, cjk=9), CAP) == {"space": 1.0, "mixed": 1.0, "cjk": 1.0}


def test_slack_over_the_cap_without_spaces_leaves_the_line_short_at_the_cap():
    gaps = counts(cjk=10)
    steps = gap_steps(15.0, gaps, CAP)
    assert steps == {"space": 1.0, "mixed": 1.0, "cjk": 1.0}
    assert spread(steps, gaps) == 10.0  # 5 px short: better than 合 同 能 源 in pdftotext


def test_slack_over_the_cap_goes_to_spaces_and_han_latin_boundaries():
    gaps = counts(space=2, mixed=3, cjk=10)
    steps = gap_steps(25.0, gaps, CAP)
    assert steps["cjk"] == CAP  # exactly the cap
    assert steps["space"] == steps["mixed"] == 3.0  # (25 - 10 × 1) / 5
    assert spread(steps, gaps) == 25.0  # flush


def test_slack_over_the_cap_with_only_han_latin_boundaries():
    gaps = counts(mixed=2, cjk=4)
    steps = gap_steps(10.0, gaps, CAP)
    assert steps == {"space": 3.0, "mixed": 3.0, "cjk": 1.0}
    assert spread(steps, gaps) == 10.0


def test_a_closing_mark_ending_the_line_gives_up_its_blank_half():
    # 10 CJK gaps can take 2 + 5.25 px within the cap.
    assert line_end_cut("right", 5.25, 0, 2.0, CAP, 10, 0) == 5.25
    # What push-in took from it already is not given twice.
    assert line_end_cut("right", 5.25, 2.0, 2.0, CAP, 10, 0) == 3.25
    assert line_end_cut("right", 5.25, 5.25, 2.0, CAP, 10, 0) == 0


def test_a_closing_mark_keeps_its_blank_when_the_gaps_cannot_take_it_up():
    # 5 CJK gaps: 2 + 5.25 px would pass the cap; the line is not made shorter still.
    assert line_end_cut("right", 5.25, 0, 2.0, CAP, 5, 0) == 0
    # With a space or a Han–Latin boundary to take the rest, it is cut all the same.
    assert line_end_cut("right", 5.25, 0, 2.0, CAP, 5, 1) == 5.25


def test_only_a_closing_mark_with_a_blank_right_half_is_cut():
    assert line_end_cut("left", 5.25, 0, 2.0, CAP, 10, 3) == 0  # an opening mark
    assert line_end_cut(None, 0, 0, 2.0, CAP, 10, 3) == 0  # not a fullwidth mark
    assert line_end_cut("right", 5.25, 5.245, 2.0, CAP, 10, 3) == 0  # 0.005 px is no cut


MARK = ("right", 5.0)  # a closing mark whose right half (5 px) is blank
OPEN = ("left", 5.0)  # an opening mark whose left half is blank
HAN = (None, 0)


def halves(text):
    return [MARK if char in "，。）" else OPEN if char == "（" else HAN for char in text]


def test_squeeze_takes_from_the_inner_marks_in_proportion():
    text = "低碳，发展，管理。"
    assert squeeze_plan(text, halves(text), 4.0) == {2: -2.0, 5: -2.0}
    assert squeeze_plan(text, halves(text), 10.0) == {2: -5.0, 5: -5.0}


def test_squeeze_takes_the_closing_mark_at_the_end_last():
    text = "低碳，发展，管理。"
    assert squeeze_plan(text, halves(text), 12.0) == {2: -5.0, 5: -5.0, 8: -2.0}
    assert squeeze_plan(text, halves(text), 15.0) == {2: -5.0, 5: -5.0, 8: -5.0}


def test_squeeze_is_none_when_the_marks_cannot_absorb_the_excess():
    text = "低碳，发展，管理。"
    assert squeeze_plan(text, halves(text), 15.5) is None
    assert squeeze_plan("低碳发展管理", halves("低碳发展管理"), 1.0) is None
    # Only a mark at the end, and more than its blank half.
    assert squeeze_plan("低碳发展。", halves("低碳发展。"), 6.0) is None


def test_squeeze_with_only_the_closing_mark_at_the_end():
    text = "低碳发展。"
    assert squeeze_plan(text, halves(text), 3.0) == {4: -3.0}


def test_a_mark_beside_a_space_keeps_its_blank():
    text = "低碳， 发展"
    assert squeeze_plan(text, halves(text), 1.0) is None


def test_an_opening_mark_is_pulled_over_its_blank_from_the_character_before():
    text = "低碳（发展）管理"
    plan = squeeze_plan(text, halves(text), 5.0)
    assert plan == {1: pytest.approx(-2.5), 5: pytest.approx(-2.5)}


def test_an_opening_mark_after_a_closing_mark_shares_its_gap():
    # ）（ : the closing mark's blank and the opening mark's are the same gap, taken once.
    text = "发展）（管理"
    assert squeeze_plan(text, halves(text), 3.0) == {2: -3.0}
    assert squeeze_plan(text, halves(text), 6.0) is None


def test_tightening_takes_the_marks_blanks_as_squeezing_does_while_they_are_enough():
    text = "低碳，发展。"
    assert tighten_plan(text, halves(text), 4.0, opportunities(text), 0.5) == squeeze_plan(text, halves(text), 4.0)


def test_tightening_takes_every_blank_then_a_hair_of_each_gap():
    text = "低碳，发展。"  # blanks: ， 5 px inside, 。 5 px at the end; gaps after 低, ，, 发
    assert opportunities(text) == [0, 2, 3]
    assert tighten_plan(text, halves(text), 11.5, [0, 2, 3], 0.5) == {0: -0.5, 2: -5.5, 3: -0.5, 5: -5.0}
    assert tighten_plan("低碳发展", halves("低碳发展"), 1.5, [0, 1, 2], 0.5) == {0: -0.5, 1: -0.5, 2: -0.5}


def test_tightening_never_takes_more_than_a_hair_of_a_gap():
    assert tighten_plan("低碳发展", halves("低碳发展"), 1.6, [0, 1, 2], 0.5) is None
    assert tighten_plan("低碳发展", halves("低碳发展"), 0.1, [], 0.5) is None  # no gap to take it from
