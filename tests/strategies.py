"""Hypothesis strategies shared by the fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st

#: Any JSON value, nested a little: what a hostile or broken client may send in place of a field.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


#: Values for the fields of schema_version 2: mostly ones of the right type (so that the rules
#: across fields are reached), some of any JSON type.
numbers = st.none() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
names = st.none() | st.text(max_size=8) | st.sampled_from(["Joe Biden", " John  Kirby ", "x" * 201, "a\nb"])
qualifiers = st.none() | st.sampled_from(
    ["exact", "at_least", "more_than", "at_most", "less_than", "approx", "range", "roughly"]
)


def tag_fields(ids: st.SearchStrategy[str]) -> st.SearchStrategy[dict]:
    """Some of the fields of the tags, with values of the right type or not; ``ids``: annotation ids."""
    value = {
        "attributed_to": st.lists(ids, max_size=3) | json_values,
        "entity": names | json_values,
        "value": numbers | json_values,
        "value_high": numbers | json_values,
        "unit": names | json_values,
        "qualifier": qualifiers | json_values,
    }
    return st.fixed_dictionaries({}, optional={name: values for name, values in value.items()})
