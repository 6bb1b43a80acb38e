"""Caption rules of the post script (appliance/domain/captions.py): spintax, `###`, `##`."""

import random
from collections import Counter

from appliance.domain.captions import Caption, render, spin


def test_spintax_picks_each_variant_and_is_deterministic_per_seed():
    seen = Counter(spin("{Hello|Hi|Hey} world", random.Random(seed)) for seed in range(200))
    assert set(seen) == {"Hello world", "Hi world", "Hey world"}
    assert spin("{a|b|c}{d|e}", random.Random(7)) == spin("{a|b|c}{d|e}", random.Random(7))


def test_nested_spintax_resolves_inside_the_chosen_variant():
    outs = {spin("{x {1|2}|y}!", random.Random(seed)) for seed in range(200)}
    assert outs == {"x 1!", "x 2!", "y!"}


def test_braces_without_a_bar_and_unclosed_braces_stay_literal():
    assert spin("{no pipe} {a|a} {open", random.Random(1)) == "{no pipe} a {open"
    assert spin("{{a|a}}", random.Random(1)) == "{a}"


def test_triple_hash_is_a_line_break_and_double_hash_splits_the_title():
    cap = render("My title##Line one###Line two #fyp", random.Random(3))
    assert cap == Caption("My title", "Line one\nLine two #fyp")
    assert cap.text == "My title##Line one\nLine two #fyp"
    assert render("a###b", random.Random(3)) == Caption("", "a\nb")
    assert render("#viral #fyp", random.Random(3)) == Caption("", "#viral #fyp")


def test_spintax_can_choose_between_titles():
    outs = {render("{T1|T2}##{d1|d2}", random.Random(seed)) for seed in range(200)}
    assert outs == {Caption(t, d) for t in ("T1", "T2") for d in ("d1", "d2")}
