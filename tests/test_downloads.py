"""studyhub.downloads.json_chunks: a document streamed a chunk at a time reads back as
the same JSON, whatever its values and however small the chunks."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from studyhub.downloads import json_chunks

scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(), st.tuples(st.booleans(), st.lists(values, max_size=6)), max_size=6),
    st.integers(min_value=1, max_value=200),
)
def test_a_streamed_document_reads_back_the_same(document, chunk):
    """Each value is a list, sent either whole or as an iterator (an array written an item
    at a time)."""
    sent = {key: iter(items) if lazy else items for key, (lazy, items) in document.items()}
    chunks = list(json_chunks(sent, chunk=chunk))
    assert json.loads(b"".join(chunks)) == {key: items for key, (_, items) in document.items()}
    assert all(chunks[:-1]), "an empty chunk was sent"


def test_an_iterator_is_read_only_as_the_stream_is():
    read = []

    def rows():
        for n in range(3):
            read.append(n)
            yield {"n": n, "text": "é"}

    stream = json_chunks({"format": "x", "rows": rows()}, chunk=1)
    assert next(stream) == b"{"
    assert read == []
    body = b"".join(stream)
    assert read == [0, 1, 2]
    assert "é".encode() in body  # not escaped to ASCII
    assert body.endswith(b"\n}\n")
