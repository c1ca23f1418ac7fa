"""builder.chinese: the one definition of Chinese characters, as functions and as regex classes."""

import re
import sys

from builder.chinese import CJK_CLASS, HAN_CLASS, is_cjk, is_han


def test_han_characters_and_kana_are_han_but_not_punctuation_or_latin():
    assert all(is_han(c) for c in "节能减排信息动态㐀𠀀かカ")
    assert not any(is_han(c) for c in "，。（）“”—…A1ａ·한")


def test_cjk_is_wider_than_han():
    assert all(is_cjk(c) for c in "节能，。（）“”—…ａ한")
    assert not any(is_cjk(c) for c in "Aé1 -.,()")


def test_the_regex_classes_agree_with_the_functions_for_every_character():
    cjk, han = re.compile(f"[{CJK_CLASS}]"), re.compile(f"[{HAN_CLASS}]")
    for code in range(0, sys.maxunicode + 1, 7):  # every seventh: a second, not ten
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        assert bool(cjk.fullmatch(char)) == is_cjk(char), hex(code)
        assert bool(han.fullmatch(char)) == is_han(char), hex(code)
