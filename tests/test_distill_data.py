"""Distillation data: metadata filters select what they say."""

import pytest

from reasonlab.shipped import distill_data

RECORDS = [
    {"prompt": "1+2=", "completion": "#### 3", "step": 1, "meta": {"how": "####"}},
    {
        "prompt": "1+3=",
        "completion": "<think>1+3=4</think>#### 4",
        "step": 5,
        "meta": {"how": "####"},
    },
    {"prompt": "1+4=", "completion": "<think>1+4=5</think>5", "step": 9, "meta": {"how": "last"}},
]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, ["1+2=", "1+3=", "1+4="]),
        ({"min_step": 5}, ["1+3=", "1+4="]),
        ({"max_step": 5}, ["1+2=", "1+3="]),
        ({"think": True}, ["1+3=", "1+4="]),
        ({"think": False}, ["1+2="]),
        ({"how": "####"}, ["1+2=", "1+3="]),
        ({"min_step": 2, "how": "####"}, ["1+3="]),
    ],
)
def test_select_traces_filters_by_logged_metadata(kw, expected):
    assert [r["prompt"] for r in distill_data.select_traces(RECORDS, **kw)] == expected
