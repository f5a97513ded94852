"""A character-level tokenizer whose markers are single tokens.

Every character of the toy world is one token, except a handful of markers that the policy
must emit or read as one decision: where thinking starts and stops, a self-check of a step,
a revision ("wait"), the GSM8K-style answer prefix and the end of sequence. Keeping each
marker a single token makes sequences short and makes "did the model think?" a question
about one sampled token.

>>> tok = Tokenizer()
>>> ids = tok.encode("12+3=<think>2+3=5</think>#### 15")
>>> tok.decode(ids)
'12+3=<think>2+3=5</think>#### 15'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EOS = "<eos>"
THINK = "<think>"
END_THINK = "</think>"
CHECK = "<check>"
WAIT = "<wait>"
ANSWER = "#### "

#: Markers in id order; id 0 is the end of sequence, which also pads finished rows.
MARKERS = (EOS, THINK, END_THINK, CHECK, WAIT, ANSWER)

#: Every plain character any task writes (math, decimal comparison, countdown, tiny code).
CHARS = "0123456789+-*/=.,:;|?<>()[]! abcdefghijklmnopqrstuvwxyz"

_MARKER_RE = re.compile("(" + "|".join(re.escape(m) for m in MARKERS) + ")")


class Tokenizer:
    """Characters plus single-token markers, with a fixed vocabulary (no training needed).

    The vocabulary is fixed by ``MARKERS`` and ``CHARS``, so every checkpoint of every policy
    shares it, and a token id means the same thing everywhere in the book.
    """

    def __init__(self) -> None:
        self.itos: list[str] = [*MARKERS, *CHARS]
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}
        self.eos_id = self.stoi[EOS]
        self.think_id = self.stoi[THINK]
        self.end_think_id = self.stoi[END_THINK]
        self.check_id = self.stoi[CHECK]
        self.wait_id = self.stoi[WAIT]
        self.answer_id = self.stoi[ANSWER]

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        """Split ``text`` into markers and characters and map each to its id.

        Raises:
            ValueError: naming the first character that is not in the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        ids: list[int] = []
        for piece in _MARKER_RE.split(text):
            if piece in self.stoi and piece in MARKERS:
                ids.append(self.stoi[piece])
                continue
            for ch in piece:
                idx = self.stoi.get(ch)
                if idx is None:
                    raise ValueError(
                        f"character {ch!r} in {text!r} is not in the vocabulary "
                        f"(markers {MARKERS} and characters {CHARS!r})"
                    )
                ids.append(idx)
        return ids

    def decode(self, ids: Iterable[int], *, stop_at_eos: bool = True) -> str:
        """Map ids back to text; stops at the first end-of-sequence unless told otherwise."""
        out: list[str] = []
        for i in ids:
            i = int(i)
            if i == self.eos_id and stop_at_eos:
                break
            if not 0 <= i < len(self.itos):
                raise ValueError(f"token id {i} is outside the vocabulary (size {self.vocab_size})")
            out.append(self.itos[i])
        return "".join(out)

    def decode_ids(self, ids: list[int]) -> str:
        """:meth:`decode` for a list of ids the model emitted (ints in the vocabulary, up to an
        end of sequence): the same text, without the per-id checks (the sampler decodes
        every completion of every batch)."""
        if self.eos_id in ids:
            ids = ids[: ids.index(self.eos_id)]
        return "".join(map(self.itos.__getitem__, ids))

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, markers={MARKERS})"
