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
