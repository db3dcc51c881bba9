"""Search results say why they matched: the question text with the matched words marked,
and a passage of the answers around them (progress.search: `matches`, `show_why`,
`marked_html`, `passage_html`).

The suite runs once on each database: PostgreSQL marks words with `ts_headline`, SQLite
with FTS5's `highlight`, and the page shows the same either way.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from progress.search import (
    MARK_END,
    MARK_START,
    WHY_MAX_CHARS,
    WHY_ROWS,
    marked_html,
    passage_html,
    search_questions,
    show_why,
)
from tests.factories import make_question, make_topic
from tests.pages import HTMX, html_of, squash
from tests.progress.test_search import QUERIES, annotated

URL = reverse("progress:question_list")


def rows(response) -> dict[int, str]:
    """Each result row's HTML by its question number, in the order shown."""
    found = re.findall(r'<li class="row">.*?</li>', html_of(response), re.DOTALL)
    return {int(re.findall(r'<span class="qnum">Q(\d+)</span>', row)[0]): row for row in found}


def link(row: str) -> str:
    """The row's question text, as HTML (the question number left out)."""
    match = re.search(r'<a class="row-link"[^>]*><span class="qnum">Q\d+</span> (.*?)</a>', row)
    assert match, "no question link in the row"
    return match.group(1)


def passage(row: str) -> str | None:
    """The row's passage of the answers as HTML, or None when it shows none."""
    match = re.search(
        r'<p class="match"><span class="visually-hidden">Matched in the answer: </span>(.*?)</p>',
        row,
        re.DOTALL,
    )
    return match.group(1) if match else None


def marks(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def assert_well_formed(html: str) -> None:
    """Marks open and close in turn, never nested, and no marker character is left."""
    assert MARK_START not in html and MARK_END not in html
    tags = re.findall(r"</?mark>", html)
    assert tags == ["<mark>", "</mark>"] * (len(tags) // 2), tags


@pytest.fixture
def bank(db):
    """
    | Q | question text                    | answer                                        |
    | 1 | convolutional networks (text)    | network's early filters                       |
    | 2 | batch (text)                     | a deep network; pooling                       |
    | 3 | spatial pooling (text)           | Pooling … feature maps                        |
    | 4 | the <b>bold</b> tag & friends    | <script>, & and quotes, a network request     |
    """
    topic = make_topic(slug="vision", name="Vision")
    specs = [
        ("How do convolutional networks see edges?", "The network's early filters find edges."),
        ("Why normalise the batch?", "It keeps a deep network stable; pooling does not."),
        ("What is spatial pooling?", "Pooling downsamples feature maps."),
        (
            "What does the <b>bold</b> tag & friends do?",
            "In a page, <script>alert(1)</script> runs; a network request says "
            "\"quoted\" & 'single'.",
        ),
    ]
    return [
        make_question(key=f"h-{n}", position=n, text=text, concise=answer, topics=[topic])
        for n, (text, answer) in enumerate(specs, start=1)
    ]


# --- On the page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_answer_only_match_shows_the_answer_passage_stemmed(logged_in_client, bank):
    found = rows(logged_in_client.get(URL, {"q": "networks"}))

    assert set(found) == {1, 2, 4}
    # Q1 matched on its own words: they are marked, and its answer adds nothing (it has
    # the word too, in another form).
    assert link(found[1]) == "How do convolutional <mark>networks</mark> see edges?"
    assert passage(found[1]) is None
    # Q2 matched in its answer only, on another form of the word: the passage says so.
    assert marks(link(found[2])) == []
    assert passage(found[2]) == "It keeps a deep <mark>network</mark> stable; pooling does not."


@pytest.mark.django_db
def test_a_passage_shows_only_words_the_question_does_not(logged_in_client, bank):
    found = rows(logged_in_client.get(URL, {"q": "pooling"}))
    assert link(found[3]) == "What is spatial <mark>pooling</mark>?"
    assert passage(found[3]) is None  # its answer says "Pooling" again: nothing new
    assert marks(passage(found[2]) or "") == ["pooling"]

    # A second word only its answer holds: now the passage tells why.
    found = rows(logged_in_client.get(URL, {"q": "pooling feature"}))
    assert list(found) == [3]
    assert link(found[3]) == "What is spatial <mark>pooling</mark>?"
    assert passage(found[3]) == "<mark>Pooling</mark> downsamples <mark>feature</mark> maps."


@pytest.mark.django_db
def test_the_word_being_typed_is_marked_whole(logged_in_client, bank):
    found = rows(logged_in_client.get(URL, {"q": "spatial poo"}))
    assert link(found[3]) == "What is <mark>spatial</mark> <mark>pooling</mark>?"


@pytest.mark.django_db
def test_question_and_answer_text_is_escaped(logged_in_client, bank):
    response = logged_in_client.get(URL, {"q": "bold network"})
    page = html_of(response)

    assert list(rows(response)) == [4]
    row = rows(response)[4]
    assert link(row) == "What does the &lt;b&gt;<mark>bold</mark>&lt;/b&gt; tag &amp; friends do?"
    assert passage(row) == (
        "In a page, &lt;script&gt;alert(1)&lt;/script&gt; runs; a <mark>network</mark> request "
        "says &quot;quoted&quot; &amp; &#x27;single&#x27;."
    )
    assert "<script>alert" not in page and "<b>bold" not in page
    # What a person reads is the text as written.
    assert "<script>alert(1)</script> runs" in squash(row)


@pytest.mark.django_db
def test_a_passage_is_plain_text_not_markdown(logged_in_client):
    make_question(
        position=1,
        text="What does a pooling layer do?",
        concise=(
            "## Downsampling\n\n"
            "**Max** pooling keeps the `max` of each [window](https://example.com/w), "
            "so a 3 * 3 window_size shrinks:\n"
            "- *feature* maps\n"
            "> 2. Stride\n"
        ),
    )
    row = rows(logged_in_client.get(URL, {"q": "window feature"}))[1]

    assert passage(row) == (
        "Downsampling Max pooling keeps the max of each <mark>window</mark>, so a 3 * 3 "
        "<mark>window</mark>_size shrinks: <mark>feature</mark> maps Stride"
    )


@pytest.mark.django_db
def test_marker_characters_in_the_bank_cannot_break_the_marks(logged_in_client):
    make_question(
        position=1,
        text=f"Is {MARK_END}pooling{MARK_START} odd?",
        concise=f"A {MARK_START}strange{MARK_START} answer {MARK_END}about{MARK_END} pooling.",
    )
    row = rows(logged_in_client.get(URL, {"q": "pooling"}))[1]

    assert_well_formed(row)
    # The question text is shown as written, without the characters and unmarked; the
    # passage marks the word searched for (on SQLite perhaps more, never unbalanced).
    assert link(row) == "Is pooling odd?"
    assert "<mark>pooling</mark>." in (passage(row) or "")


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_fragment_says_why_as_the_page_does(logged_in_client, bank, htmx):
    response = logged_in_client.get(URL, {"q": "networks"}, headers=HTMX if htmx else {})
    assert ("<html" in html_of(response)) is not htmx
    assert passage(rows(response)[2]) == (
        "It keeps a deep <mark>network</mark> stable; pooling does not."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{}, {"topic": "vision"}, {"q": "-pooling"}, {"q": "-pooling", "topic": "vision"}],
    ids=["all", "topic", "only-a-negated-word", "negated-and-topic"],
)
def test_without_words_to_match_nothing_is_marked(logged_in_client, bank, params):
    response = logged_in_client.get(URL, params)
    found = rows(response)

    assert found, "the list is shown"
    assert "<mark>" not in html_of(response)
    assert 'class="match"' not in html_of(response)
    assert link(found[1]) == "How do convolutional networks see edges?"


@pytest.mark.django_db
def test_every_page_of_results_says_why(logged_in_client):
    """The rows of each page say why they matched, page 2 as well as page 1."""
    for n in range(1, WHY_ROWS + 6):
        make_question(position=n, text=f"Question {n}?", concise="A kernel slides. End.")
    first = rows(logged_in_client.get(URL, {"q": "kernel"}))
    second = rows(logged_in_client.get(URL, {"q": "kernel", "page": 2}))

    assert len(first) == WHY_ROWS and len(second) == 5
    assert not set(first) & set(second)
    assert all(passage(row) is not None for row in [*first.values(), *second.values()])


@pytest.mark.django_db
def test_a_long_answer_gives_a_short_passage(logged_in_client):
    filler = "Filters slide over the image. " * 650  # about 20,000 characters
    make_question(position=1, text="How do CNNs see?", concise=f"Stride sets the step. {filler}")
    make_question(position=2, text="And then?", concise=f"{filler}Dilation skips pixels.")
    found = rows(logged_in_client.get(URL, {"q": "stride or filters"}))

    text = squash(passage(found[1]) or "")
    assert "Stride" in marks(passage(found[1]) or "")
    assert len(text.split()) <= 40, text


@pytest.mark.django_db
def test_only_the_start_of_a_long_answer_is_read_for_a_passage(logged_in_client):
    filler = "Filters slide over the image. " * (WHY_MAX_CHARS // 30 + 10)
    make_question(position=1, text="How do CNNs see?", concise=f"{filler}Dilation skips pixels.")
    found = rows(logged_in_client.get(URL, {"q": "dilation"}))

    assert list(found) == [1]  # found, by the whole answer
    assert passage(found[1]) is None  # but the word is past what is read for a passage


# --- Queries --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("size", [5, WHY_ROWS + 5], ids=["small", "large"])
def test_saying_why_adds_no_query(logged_in_client, htmx, size, django_assert_num_queries):
    for n in range(1, size + 1):
        make_question(position=n, text=f"Question {n}?", concise="Pooling halves a map.")
    with django_assert_num_queries(QUERIES["htmx" if htmx else "page"]):
        response = logged_in_client.get(URL, {"q": "pooling"}, headers=HTMX if htmx else {})

    found = rows(response)
    assert len(found) == min(size, WHY_ROWS)  # a page
    assert all(passage(row) is not None for row in found.values())


@pytest.mark.django_db
def test_search_and_why_are_one_query(bank, user, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = annotated(
            show_why(search_questions(user, text="networks", now=timezone.now(), why_from=0))
        )
    assert found[0].position == 1  # its own words weigh most
    assert {q.position for q in found} == {1, 2, 4}
    assert [marks(q.why.text) for q in found if q.position == 1] == [["networks"]]


# --- marked_html and passage_html ------------------------------------------------------------

S, E = MARK_START, MARK_END


@pytest.mark.parametrize(
    "text, html",
    [
        (f"a {S}pool{E}ing", "a <mark>pool</mark>ing"),
        (f"<script>{S}alert{E}(1)</script>", "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;"),
        (f"{S}<b>{E} & \"q\" 'a'", "<mark>&lt;b&gt;</mark> &amp; &quot;q&quot; &#x27;a&#x27;"),
        # Marks the text itself held: unpaired ones are dropped, the rest stay balanced.
        (f"{E}a{S}b{S}c{E}d{E}", "a<mark>bc</mark>d"),
        (f"a{S}b", "a<mark>b</mark>"),
        (f"a{S}{E}b", "ab"),
        ("", ""),
    ],
)
def test_marked_html_escapes_then_marks(text, html):
    assert marked_html(text) == html
    assert_well_formed(marked_html(text))


LONG = " ".join(f"w{n}" for n in range(40))  # 40 words, none marked


@pytest.mark.parametrize(
    "text, html",
    [
        # A short answer is the passage whole.
        (f"the {S}pool{E} shrinks", "the <mark>pool</mark> shrinks"),
        ("nothing marked here", ""),
        ("", ""),
        # A long one: PASSAGE_WORDS words from PASSAGE_LEAD_WORDS before the first mark,
        # with "…" where the answer goes on.
        (
            f"{LONG} {S}pool{E} {LONG}",
            "… w32 w33 w34 w35 w36 w37 w38 w39 <mark>pool</mark> w0 "
            "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 …",
        ),
        (f"{S}pool{E} {LONG}", "<mark>pool</mark> " + " ".join(f"w{n}" for n in range(29)) + " …"),
        (
            f"{LONG} {S}pool{E}",
            "… " + " ".join(f"w{n}" for n in range(11, 40)) + " <mark>pool</mark>",
        ),
        # ... or from the start of its sentence, if that is nearer.
        (
            f"{LONG}. The {S}pool{E} {LONG}",
            "… The <mark>pool</mark> " + " ".join(f"w{n}" for n in range(28)) + " …",
        ),
        # The words that hold most of the different words marked, not the first mark.
        (
            f"{S}a{E} {LONG} {S}a{E} {S}b{E} {LONG}",
            "… w32 w33 w34 w35 w36 w37 w38 w39 <mark>a</mark> <mark>b</mark> "
            + " ".join(f"w{n}" for n in range(20))
            + " …",
        ),
        # Markdown syntax goes; the words stay.
        (f"**{S}Bold{E}** and `code`.", "<mark>Bold</mark> and code."),
        (f"- Item {S}one{E}\n- item two.", "Item <mark>one</mark> item two."),
        (f"1. Item\n> 2. item {S}two{E}", "Item item <mark>two</mark>"),
        (f"See [{S}docs{E}](https://x.org/a_b).", "See <mark>docs</mark>."),
        (
            f"A snake_case name, 2 * 3 and _{S}stress{E}_.",
            "A snake_case name, 2 * 3 and <mark>stress</mark>.",
        ),
        (
            f"A {S}snake{E}_case, __{S}stress{E}__.",
            "A <mark>snake</mark>_case, <mark>stress</mark>.",
        ),
        # Escaped, whitespace made one line.
        (
            f"<script>x</script>\n\n& '{S}a{E}'.",
            "&lt;script&gt;x&lt;/script&gt; &amp; &#x27;<mark>a</mark>&#x27;.",
        ),
        # A phrase marked whole (FTS5 marks "a phrase" so) stays one mark.
        (f"a {S}feature map{E} here", "a <mark>feature map</mark> here"),
    ],
)
def test_passage_html_is_one_line_of_plain_text(text, html):
    assert passage_html(text) == html
    assert_well_formed(passage_html(text))
