"""Hypothesis strategies shared by the property tests, one section per feature."""

from __future__ import annotations

from hypothesis import strategies as st

# --- event store: JSON-ready event data (engine.sqlite_store) --------------------

# Integers stay within what a JSON number holds exactly everywhere (doubles), so the
# same strategies can drive a PostgreSQL backend later.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)


def json_values() -> st.SearchStrategy[object]:
    """Any JSON value: unicode text, nested lists and objects, numbers."""
    return st.recursive(
        json_scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=6,
    )


def event_data() -> st.SearchStrategy[dict[str, object]]:
    """An event's data or metadata: a JSON object."""
    return st.dictionaries(st.text(max_size=10), json_values(), max_size=4)
