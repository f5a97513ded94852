"""Tokenizer: markers are single tokens, text round-trips, bad input is named."""

import pytest

from reasonlab.world.tasks import demonstration_text, make
from reasonlab.world.tokenizer import MARKERS, Tokenizer


def test_markers_are_single_tokens():
    tok = Tokenizer()
    for m in MARKERS:
        assert len(tok.encode(m)) == 1, m
    assert tok.encode("<think>1</think>") == [tok.think_id, tok.stoi["1"], tok.end_think_id]


@pytest.mark.parametrize("domain", ["math", "logic", "code"])
def test_every_task_round_trips(domain):
    tok = Tokenizer()
    for p in make(domain, 40, seed=3):
        for think in (False, True):
            text = p.prompt + demonstration_text(p, think=think)
            ids = tok.encode(text)
            assert tok.decode(ids) == text
            assert len(ids) < len(text)  # markers compress


def test_thinking_costs_more_tokens_than_answering():
    tok = Tokenizer()
    p = make("math", 1, difficulty=4, seed=0)[0]
    direct = tok.encode(demonstration_text(p, think=False))
    think = tok.encode(demonstration_text(p, think=True))
    assert len(think) > 3 * len(direct) / 2


def test_decode_stops_at_eos_unless_told():
    tok = Tokenizer()
    ids = tok.encode("12") + [tok.eos_id] + tok.encode("3")
    assert tok.decode(ids) == "12"
    assert tok.decode(ids, stop_at_eos=False) == "12<eos>3"

    assert tok.decode_ids(ids) == "12"  # the sampler's fast path: same text


def test_decode_ids_matches_decode_on_sampled_completions():
    from reasonlab.shipped import zoo

    pol = zoo.load("base")
    out = pol.sample([p.prompt for p in make("math", 12, seed=1)], num_samples=4, seed=0)
    for ids, text in zip(out.token_ids, out.completions, strict=True):
        assert pol.tokenizer.decode(ids) == text == pol.tokenizer.decode_ids(ids)


def test_unknown_character_is_named():
    with pytest.raises(ValueError, match="'€'"):
        Tokenizer().encode("12€")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        Tokenizer().decode([999])
