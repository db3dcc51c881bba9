"""The instructors' team dashboard (teams/selectors.py, teams/views.py): the learners ×
topics matrix, sorting, the assignment filter, the levels view, the htmx fragment, status
groups, the per-topic page, links to each member, privacy of notes, and pinned query
counts. tests/teams/test_assignment_grid.py checks the filtered grid against the
assignment lists at scale and over random worlds."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from progress.models import Note
from teams.selectors import short_topic_name
from tests.factories import make_question, make_topic, make_user, mark
from tests.pages import HTMX, csv_rows, html_of, matrix_names, matrix_of, squash
from tests.teams.factories import NOTE_TEXT, ScaledTeam, make_assignment, make_team


class _Grid(HTMLParser):
    """The matrix's cells twice: as a screen reader hears them (no aria-hidden text) and
    as the eye sees them (no visually hidden text)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str]]] = []
        self._stack: list[str] = []  # per open element: "", "sr" or "eye"
        self._cell: tuple[list[str], list[str]] | None = None
        self._in_matrix = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table" and "matrix" in (attributes.get("class") or "").split():
            self._in_matrix = True
        if not self._in_matrix:
            return
        classes = (attributes.get("class") or "").split()
        mode = "sr" if "visually-hidden" in classes else ""
        mode = "eye" if attributes.get("aria-hidden") == "true" else mode
        if tag == "caption":
            mode = "caption"
        self._stack.append(mode)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ([], [])

    def handle_endtag(self, tag):
        if not self._in_matrix:
            return
        if tag == "table":
            self._in_matrix = False
        self._stack.pop()
        if tag in ("td", "th") and self._cell is not None:
            spoken, seen = ("".join(part).split() for part in self._cell)
            self.rows[-1].append((" ".join(spoken), " ".join(seen)))
            self._cell = None

    def handle_data(self, data):
        if self._cell is None or "caption" in self._stack:
            return
        if "eye" not in self._stack:
            self._cell[0].append(data)
        if "sr" not in self._stack:
            self._cell[1].append(" " + data + " ")


def grid_of(html: str, *, seen: bool = False) -> tuple[list[str], list[list[str]]]:
    """The matrix's header and rows, as heard (or, with seen=True, as seen)."""
    parser = _Grid()
    parser.feed(html)
    texts = [[cell[1 if seen else 0] for cell in row] for row in parser.rows]
    return texts[0], texts[1:]


def dashboard_url(world, **params) -> str:
    url = reverse("teams:team_dashboard", args=[world.team.pk])
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}" if query else url


def topic_url(world, slug: str) -> str:
    return reverse("teams:team_topic", args=[world.team.pk, slug])


# --- The matrix -------------------------------------------------------------------


def test_the_matrix_shows_each_learners_coverage_of_each_topic(world, instructor_client):
    response = instructor_client.get(dashboard_url(world))
    assert response.status_code == 200
    header, rows = grid_of(html_of(response))
    assert header == ["Member", "Overall (of 5)", "Last activity", "Alpha", "Beta", "Gamma"]
    # Iris (the instructor) and Eve (another team's learner) are not rows.
    assert rows == [
        [
            "Ada Lovelace",
            "4 · 80%, 0 fresh",
            "2 Feb 2026",
            "3 of 3 covered (all), 0 fresh",
            "2 of 2 covered (all), 0 fresh",
            "0 of 1 covered",
        ],
        [
            "Bo Chen",
            "2 · 40%, 0 fresh",
            "4 Feb 2026",
            "1 of 3 covered, 0 fresh",
            "1 of 2 covered, 0 fresh",
            "0 of 1 covered",
        ],
        ["Cy Diaz", "0 · 0%, 0 fresh", "Never", *(f"0 of {n} covered" for n in (3, 2, 1))],
        [
            "Dee Evans",
            "3 · 60%, 0 fresh",
            "3 Feb 2026",
            "2 of 3 covered, 0 fresh",
            "0 of 2 covered",
            "1 of 1 covered (all), 0 fresh",
        ],
    ]
    # To the eye, compact: "3/3 ✓" with the fresh count under it.
    _, seen = grid_of(html_of(response), seen=True)
    assert seen[0][3:] == ["3/3 ✓ 0 fresh", "2/2 ✓ 0 fresh", "0/1"]
    assert seen[1][3:] == ["1/3 0 fresh", "1/2 0 fresh", "0/1"]


def test_cells_are_coloured_by_coverage_band(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world)))
    bands = re.findall(r'<td class="band-(\d)"><span class="visually-hidden">(\d+ of \d+)', html)
    assert bands[:3] == [("4", "3 of 3"), ("4", "2 of 2"), ("0", "0 of 1")]  # Ada
    assert bands[3:5] == [("1", "1 of 3"), ("2", "1 of 2")]  # Bo: 33%, 50%


def test_the_legend_explains_bands_ticks_and_fresh(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world)))
    legend = squash(re.search(r'<ul class="matrix-legend".*?</ul>', html, re.S).group(0))
    for words in ("None covered", "1–33%", "34–67%", "68–99%", "✓ All covered", "fresh"):
        assert words in legend
    levels = html_of(instructor_client.get(dashboard_url(world, cells="levels")))
    legend = squash(re.search(r'<ul class="matrix-legend".*?</ul>', levels, re.S).group(0))
    for words in ("Not yet", "Shaky", "Okay", "Confident", "Mastered", "Not rated"):
        assert words in legend


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Deployment and efficiency", "Deployment"),
        ("Medical imaging and multi-modal applications", "Medical imaging"),
        ("Data, augmentation and imbalance", "Data"),
        ("Training at scale, frameworks and hardware", "Training at scale"),
        ("CNN foundations", "CNN foundations"),
        ("OCR", "OCR"),
        ("Brandy", "Brandy"),  # "and" inside a word is no break
        (", leading comma", ", leading comma"),
    ],
)
def test_short_topic_names(name, short):
    assert short_topic_name(name) == short
    assert name.startswith(short)


def test_short_headings_keep_the_full_name_for_screen_readers(world, instructor_client):
    world.beta.name = "Beta and more, much more"
    world.beta.save()
    html = html_of(instructor_client.get(dashboard_url(world)))
    header, _ = grid_of(html)
    assert header[4] == "Beta and more, much more"
    assert grid_of(html, seen=True)[0][4] == "Beta"
    assert 'title="Beta and more, much more"' in html


def test_a_team_without_learners_says_how_to_invite_them(db):
    instructor = make_user()
    team = make_team("Empty", instructor=instructor)
    client = Client()
    client.force_login(instructor)
    html = html_of(client.get(reverse("teams:team_dashboard", args=[team.pk])))
    assert 'class="matrix"' not in html
    assert "No learners yet. Share the team's invite link" in squash(html)


def test_a_topic_with_nothing_the_team_counts_is_no_column(world, instructor_client):
    """A library topic holding only another team's question and a retired one would read
    0/0 in every cell: neither the grid, its "other topics", nor the CSV shows it."""
    empty = make_topic(slug="empty", name="Empty", position=4)
    theirs = make_question(topics=[empty], bank=world.other_team.bank)
    retired = make_question(topics=[empty], retired_at=timezone.now())
    mark(world.ada, theirs, 5)
    mark(world.ada, retired, 5)
    csv = reverse("teams:team_matrix_csv", args=[world.team.pk])
    for params in ({}, {"cells": "levels"}):
        html = html_of(instructor_client.get(dashboard_url(world, **params)))
        assert grid_of(html)[0][3:] == ["Alpha", "Beta", "Gamma"]
        assert "0/0" not in squash(html)
    others = {"assignment": world.mixed.pk, "others": 1}
    html = html_of(instructor_client.get(dashboard_url(world, **others)))
    assert grid_of(html)[0][4:] == ["Gamma", "Beta", "Alpha (not in the assignment)"]
    for params in ({}, others):
        header = csv_rows(instructor_client.get(csv, params))[0]
        assert not [h for h in header if h.startswith("Empty")], params
    # A whole topic of the assignment whose questions were all retired: no column either.
    assignment = make_assignment(world.team, name="Retired only", topics=[empty, world.gamma])
    html = html_of(instructor_client.get(dashboard_url(world, assignment=assignment.pk)))
    assert grid_of(html)[0][1] == "Assignment (of 1)"
    assert grid_of(html)[0][4:] == ["Gamma"]
    # Who-has-covered pages still list it, so nothing is unreachable.
    assert f'href="{topic_url(world, "empty")}"' in html


ADA, BO, CY, DEE = "Ada Lovelace", "Bo Chen", "Cy Diaz", "Dee Evans"


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", [ADA, BO, CY, DEE]),
        ("name", [ADA, BO, CY, DEE]),
        ("-name", [DEE, CY, BO, ADA]),
        ("overall", [CY, BO, DEE, ADA]),
        ("-overall", [ADA, DEE, BO, CY]),
        ("last", [CY, ADA, DEE, BO]),
        ("-last", [BO, DEE, ADA, CY]),
        ("alpha", [CY, BO, DEE, ADA]),
        ("-alpha", [ADA, DEE, BO, CY]),
        ("gamma", [ADA, BO, CY, DEE]),  # ties keep name order
        ("no-such-column", [ADA, BO, CY, DEE]),
    ],
)
def test_sorting_orders_the_rows(world, instructor_client, sort, order):
    assert matrix_names(html_of(instructor_client.get(dashboard_url(world, sort=sort)))) == order


def test_column_headings_say_how_the_matrix_is_sorted(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world, sort="-overall")))
    header = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    assert re.findall(r'aria-sort="(\w+)"><a href="\?sort=(-?[\w-]+)"', header) == [
        ("descending", "overall")
    ]
    # The other columns offer their own sort; the filter form keeps the current one.
    assert 'href="?sort=name"' in header
    assert 'href="?sort=-alpha"' in header
    assert '<input type="hidden" name="sort" value="-overall">' in html


def test_the_assignment_filter_counts_only_its_questions(world, instructor_client):
    # "Gamma and Q4" holds the topic Gamma and the single question Q4, which is in Beta:
    # Beta's column counts Q4 alone, not Q3, and Overall is over the two questions.
    response = instructor_client.get(dashboard_url(world, assignment=world.mixed.pk))
    header, rows = grid_of(html_of(response))
    assert header == ["Member", "Assignment (of 2)", "Status", "Last activity", "Gamma", "Beta"]
    assert [row[:3] + row[4:] for row in rows] == [
        [
            "Ada Lovelace",
            "1 · 50%, 0 fresh",
            "In progress",
            "0 of 1 covered",
            "1 of 1 covered (all), 0 fresh",
        ],
        [
            "Bo Chen",
            "1 · 50%, 0 fresh",
            "In progress",
            "0 of 1 covered",
            "1 of 1 covered (all), 0 fresh",
        ],
        ["Cy Diaz", "0 · 0%, 0 fresh", "Not started", "0 of 1 covered", "0 of 1 covered"],
        [
            "Dee Evans",
            "1 · 50%, 0 fresh",
            "In progress",
            "1 of 1 covered (all), 0 fresh",
            "0 of 1 covered",
        ],
    ]
    html = html_of(response)
    assert f'<option value="{world.mixed.pk}" selected>' in html
    assert "Learners by topic coverage, topics of Gamma and Q4" in html
    assert f'href="?sort=-overall&amp;assignment={world.mixed.pk}"' in html
    assert "Assignment and Status count all 2 of them" in squash(html)


def test_the_filter_is_labelled_as_the_assignment_it_chooses(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world)))
    assert '<label for="assignment-filter">Assignment</label>' in html
    select = re.search(r'<select id="assignment-filter".*?</select>', html, re.S).group(0)
    assert [squash(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", select)] == [
        "None: every topic",
        "“Week 1: alpha”",
        "“Gamma and Q4”",
    ]
    assert "Topics of" not in html


def others_option(html: str) -> str | None:
    """The "Also show other topics" control's element, or None when only its empty
    placeholder (kept for the swap) is there."""
    found = re.search(r'<(label|span) id="others-option"[^>]*>.*?</\1>', html, re.S)
    assert found, "no #others-option, not even the placeholder"
    return None if found.group(1) == "span" else found.group(0)


def test_other_topics_are_offered_only_with_an_assignment(world, instructor_client):
    # Without an assignment it would do nothing, so it is not there (?others=1 or not).
    for params in ({}, {"others": 1}, {"assignment": "abc", "others": 1}):
        html = html_of(instructor_client.get(dashboard_url(world, **params)))
        assert others_option(html) is None, params
        assert 'name="others"' not in html
        assert '<span id="others-option" hidden></span>' in html
    option = others_option(
        html_of(instructor_client.get(dashboard_url(world, assignment=world.week1.pk)))
    )
    assert option is not None
    assert 'name="others" value="1">' in option  # not checked
    assert "Also show other topics" in option
    assert "hx-swap-oob" not in option  # the full page: in the form itself
    checked = html_of(
        instructor_client.get(dashboard_url(world, assignment=world.week1.pk, others=1))
    )
    assert 'name="others" value="1" checked>' in (others_option(checked) or "")


def test_choosing_an_assignment_in_place_swaps_the_other_topics_option_too(
    world, instructor_client
):
    # The form is outside #matrix: its checkbox comes with the swap, out of band.
    html = html_of(
        instructor_client.get(dashboard_url(world, assignment=world.mixed.pk), headers=HTMX)
    )
    option = others_option(html)
    assert option is not None
    assert option.startswith('<label id="others-option" class="grid-option" hx-swap-oob="true">')
    assert 'id="others-filter"' in option  # an id, so htmx keeps its focus across the swap
    # Back to no assignment: the swap takes the option away again.
    html = html_of(instructor_client.get(dashboard_url(world, others=1), headers=HTMX))
    assert '<span id="others-option" hidden hx-swap-oob="true"></span>' in html
    assert others_option(html) is None


def test_a_whole_topic_assignment_completes_as_its_list_says(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world, assignment=world.week1.pk)))
    header, rows = grid_of(html)
    assert header == ["Member", "Assignment (of 3)", "Status", "Last activity", "Alpha"]
    assert [(row[0], row[1], row[2], row[4]) for row in rows] == [
        ("Ada Lovelace", "3 · 100%, 0 fresh", "Complete ✓", "3 of 3 covered (all), 0 fresh"),
        ("Bo Chen", "1 · 33%, 0 fresh", "In progress", "1 of 3 covered, 0 fresh"),
        ("Cy Diaz", "0 · 0%, 0 fresh", "Not started", "0 of 3 covered"),
        ("Dee Evans", "2 · 66%, 0 fresh", "In progress", "2 of 3 covered, 0 fresh"),
    ]
    # Last activity is the learner's last mark anywhere, in the assignment or not.
    assert [row[3] for row in rows] == ["2 Feb 2026", "4 Feb 2026", "Never", "3 Feb 2026"]


def test_other_topics_follow_the_assignments_with_whole_topic_figures(world, instructor_client):
    url = dashboard_url(world, assignment=world.mixed.pk, others=1)
    html = html_of(instructor_client.get(url))
    header, rows = grid_of(html)
    assert header == [
        "Member",
        "Assignment (of 2)",
        "Status",
        "Last activity",
        "Gamma",
        "Beta",
        "Alpha (not in the assignment)",
    ]
    assert grid_of(html, seen=True)[0][6] == "Alpha*"
    # Ada: Beta counts Q4 alone inside the assignment; Alpha all of its three questions.
    assert rows[0][1:3] + rows[0][4:] == [
        "1 · 50%, 0 fresh",
        "In progress",
        "0 of 1 covered",
        "1 of 1 covered (all), 0 fresh",
        "3 of 3 covered (all), 0 fresh",
    ]
    assert re.search(r'<td class="band-4 outside">', html)
    assert "Not in the assignment: all of the topic's questions" in squash(html)
    # The sort links and the CSV keep the choice; without an assignment it changes nothing.
    assert f'href="?sort=-alpha&amp;assignment={world.mixed.pk}&amp;others=1"' in html
    assert f"?assignment={world.mixed.pk}&amp;others=1&amp;sort=name" in html
    plain, _ = grid_of(html_of(instructor_client.get(dashboard_url(world, others=1))))
    assert plain[3:] == ["Alpha", "Beta", "Gamma"]


def test_the_filter_and_sort_combine(world, instructor_client):
    url = dashboard_url(world, assignment=world.week1.pk, sort="-alpha")
    html = html_of(instructor_client.get(url))
    assert matrix_names(html) == [ADA, DEE, BO, CY]
    assert grid_of(html)[0][4:] == ["Alpha"]


@pytest.mark.parametrize(
    ("sort", "order"), [("-status", [ADA, DEE, BO, CY]), ("status", [CY, BO, DEE, ADA])]
)
def test_the_status_column_sorts(world, instructor_client, sort, order):
    url = dashboard_url(world, assignment=world.week1.pk, sort=sort)
    assert matrix_names(html_of(instructor_client.get(url))) == order


def test_status_is_no_column_without_an_assignment(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world, sort="-status")))
    assert "Status" not in grid_of(html)[0]
    assert matrix_names(html) == [ADA, BO, CY, DEE]


def test_a_sort_by_a_topic_the_filter_hides_falls_back_to_name(world, instructor_client):
    # Sorted by Beta, then filtered to "Week 1: alpha", which has no Beta column.
    html = html_of(
        instructor_client.get(dashboard_url(world, assignment=world.week1.pk, sort="-beta"))
    )
    assert matrix_names(html) == [ADA, BO, CY, DEE]
    header = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    assert re.findall(r'aria-sort="(\w+)"><a href="\?sort=(-?[\w-]+)', header) == [
        ("ascending", "-name")
    ]


def test_the_csv_link_downloads_the_table_on_screen(world, instructor_client):
    url = dashboard_url(world, assignment=world.week1.pk, sort="-alpha")
    html = html_of(instructor_client.get(url, headers=HTMX))  # a swap
    csv = reverse("teams:team_matrix_csv", args=[world.team.pk])
    csv_url = f"{csv}?assignment={world.week1.pk}&amp;sort=-alpha"
    assert f'href="{csv_url}"' in html
    plain = html_of(instructor_client.get(dashboard_url(world)))
    assert f'href="{csv}?sort=name"' in plain


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_an_unknown_assignment_shows_every_topic(world, instructor_client, value):
    header, _ = matrix_of(html_of(instructor_client.get(dashboard_url(world, assignment=value))))
    assert header[3:] == ["Alpha", "Beta", "Gamma"]


def test_another_teams_assignment_does_not_filter(world, instructor_client):
    theirs = make_assignment(world.other_team, topics=[world.gamma])
    header, _ = matrix_of(
        html_of(instructor_client.get(dashboard_url(world, assignment=theirs.pk)))
    )
    assert header[3:] == ["Alpha", "Beta", "Gamma"]


# --- htmx: the matrix alone ---------------------------------------------------------


def test_htmx_gets_only_the_matrix_section(world, instructor_client):
    response = instructor_client.get(
        dashboard_url(world, assignment=world.week1.pk, sort="-name"), headers=HTMX
    )
    assert response.status_code == 200
    html = html_of(response).strip()
    assert html.startswith('<section id="matrix"')
    # The change is announced through the page's persistent status region.
    assert html.endswith(
        '<p id="matrix-status" hx-swap-oob="innerHTML">Showing 1 topic of “Week 1: alpha”.</p>'
    )
    assert html.count("<section") == 1
    assert "<html" not in html
    assert "assignment-status-heading" not in html
    assert matrix_names(html) == [DEE, CY, BO, ADA]
    assert grid_of(html)[0][4:] == ["Alpha"]
    assert "HX-Request" in response["Vary"]


def test_without_htmx_the_whole_page_comes(world, instructor_client):
    for headers in ({}, {**HTMX, "HX-History-Restore-Request": "true"}):
        html = html_of(instructor_client.get(dashboard_url(world), headers=headers))
        assert html.startswith("<!doctype html>")
        assert '<section id="matrix"' in html
        assert 'id="assignment-status-heading"' in html
        assert "<title>Dashboard · Vision group · StudyHub</title>" in html
        # A whole page (a history restore too) has nothing to swap out of band.
        assert "hx-swap-oob" not in html


# --- Assignment status groups -----------------------------------------------------------


def status_groups(html: str, assignment) -> dict[str, list[str]]:
    start = html.index(f'aria-labelledby="assignment-{assignment.pk}-heading"')
    block = html[start : html.index("</section>", start)]
    groups = {}
    for part in re.split(r"(?=<h4>)", block)[1:]:
        heading = squash(re.search(r"<h4>(.*?)</h4>", part).group(1))
        groups[heading] = [squash(item) for item in re.findall(r"<li>(.*?)</li>", part, re.S)]
    return groups


def test_each_assignment_groups_learners_by_status(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world)))
    assert status_groups(html, world.week1) == {
        "Complete: 1": ["Ada Lovelace (3 of 3)"],
        "In progress: 2": ["Dee Evans (2 of 3)", "Bo Chen (1 of 3)"],
        "Not started: 1": ["Cy Diaz (0 of 3)"],
    }
    assert status_groups(html, world.mixed) == {
        "Complete: 0": [],
        "In progress: 3": ["Ada Lovelace (1 of 2)", "Bo Chen (1 of 2)", "Dee Evans (1 of 2)"],
        "Not started: 1": ["Cy Diaz (0 of 2)"],
    }
    assert "Week 1: alpha due 1 Mar 2026" in squash(html)
    csv_url = reverse("teams:assignment_status_csv", args=[world.team.pk, world.week1.pk])
    assert f'href="{csv_url}"' in html


def test_rating_below_okay_counts_as_started_not_covered(world, instructor_client):
    mark(world.cy, world.q[5], 2)
    html = html_of(instructor_client.get(dashboard_url(world)))
    assert status_groups(html, world.mixed)["In progress: 4"][-1] == "Cy Diaz (0 of 2)"


# --- Who has covered a topic? ----------------------------------------------------------


def topic_groups(html: str) -> dict[str, list[str]]:
    groups = {}
    for heading, body in re.findall(r"<h2 id=\"group-\d\">(.*?)</h2>(.*?)</section>", html, re.S):
        groups[squash(heading)] = [squash(li) for li in re.findall(r"<li>(.*?)</li>", body, re.S)]
    return groups


def test_the_topic_page_groups_learners_and_lists_the_weakest_questions(world, instructor_client):
    response = instructor_client.get(topic_url(world, "alpha"))
    assert response.status_code == 200
    html = html_of(response)
    text = squash(html)
    assert "Who has covered Alpha?" in text
    assert "3 questions · 4 learners" in text
    assert topic_groups(html) == {
        "Complete (1)": ["Ada Lovelace 3 of 3"],
        "In progress (2)": ["Dee Evans 2 of 3", "Bo Chen 1 of 3"],
        "Not started (1)": ["Cy Diaz 0 of 3"],
    }
    weakest = re.search(r'<ol class="link-list">(.*?)</ol>', html, re.S).group(1)
    # Iris's and Eve's marks on Q3 and Q1 would change this order if they counted.
    assert [squash(li) for li in re.findall(r"<li>(.*?)</li>", weakest, re.S)] == [
        "Q3 World question 3? covered by 1 of 4, rated by 2",
        "Q1 World question 1? covered by 2 of 4, rated by 2",
        "Q2 World question 2? covered by 3 of 4, rated by 3",
    ]


def test_a_topic_nobody_is_working_on(world, instructor_client):
    html = html_of(instructor_client.get(topic_url(world, "gamma")))
    assert "1 question · 4 learners" in squash(html)
    assert topic_groups(html) == {
        "Complete (1)": ["Dee Evans 1 of 1"],
        "In progress (0)": [],
        "Not started (3)": ["Ada Lovelace 0 of 1", "Bo Chen 0 of 1", "Cy Diaz 0 of 1"],
    }
    assert "Nobody." in html


def test_an_unknown_topic_is_404(world, instructor_client):
    assert instructor_client.get(topic_url(world, "no-such-topic")).status_code == 404


def test_the_dashboard_links_to_each_topic_page(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world)))
    for slug in ("alpha", "beta", "gamma"):
        assert f'href="{topic_url(world, slug)}"' in html


# --- Notes stay private ------------------------------------------------------------------


def test_instructors_never_see_a_learners_note(world, instructor_client):
    assert Note.objects.get(user=world.ada).text == NOTE_TEXT
    team, a1, a2 = world.team.pk, world.week1.pk, world.mixed.pk
    urls = [
        reverse("teams:team_detail", args=[team]),
        reverse("teams:team_dashboard", args=[team]),
        dashboard_url(world, assignment=a1),
        reverse("teams:team_matrix_csv", args=[team]),
        reverse("teams:topic_set_list", args=[team]),
        reverse("teams:topic_set_edit", args=[team, world.week1.topic_set_id]),
        reverse("teams:assignment_detail", args=[team, a1]),
        reverse("teams:assignment_detail", args=[team, a2]),
        reverse("teams:assignment_edit", args=[team, a1]),
        reverse("teams:assignment_status_csv", args=[team, a1]),
        reverse("teams:assignment_status_csv", args=[team, a2]),
        *(topic_url(world, slug) for slug in ("alpha", "beta", "gamma")),
    ]
    secret = NOTE_TEXT.split(":")[0]
    for url in urls:
        for headers in ({}, HTMX):
            response = instructor_client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert secret not in response.content.decode(), url
    # The instructor's assignment page marks only the instructor's own notes.
    html = html_of(instructor_client.get(reverse("teams:assignment_detail", args=[team, a1])))
    assert "note-badge" not in html
    # Ada herself sees it.
    ada = Client()
    ada.force_login(world.ada)
    assert secret in html_of(ada.get(reverse("progress:note_list")))


# --- Query counts --------------------------------------------------------------------------

#: Pinned query counts; each includes the session and user lookups (2).
#: The grid and the members' list show a page at a time: counting the rows for the pager
#: is one query more than when they showed everyone.
TEAM_DASHBOARD_QUERIES = 17  # + the assignments' learners shown, loaded last
TEAM_DASHBOARD_FILTERED_QUERIES = 18
TEAM_DASHBOARD_HTMX_QUERIES = 10
TEAM_TOPIC_QUERIES = 10  # learners: their counts, in name order, a page; the 5 weakest
TEAM_DETAIL_INSTRUCTOR_QUERIES = 10
TEAM_DETAIL_LEARNER_QUERIES = 10
ASSIGNMENT_DETAIL_QUERIES = 13  # its questions a page at a time: + the count
LEARNER_DASHBOARD_QUERIES = 14


SIZES = [(3, 1), (60, 1), (3, 4), (60, 4)]


@pytest.fixture(params=SIZES, ids=[f"{m}members-{a}assignments" for m, a in SIZES])
def scaled(request, db) -> ScaledTeam:
    return ScaledTeam(*request.param)


def test_team_dashboard_queries(scaled, django_assert_num_queries):
    client = scaled.client(scaled.instructor)
    url = reverse("teams:team_dashboard", args=[scaled.team.pk])
    with django_assert_num_queries(TEAM_DASHBOARD_QUERIES):
        response = client.get(url)
    # A page of learners: 50 at most.
    assert len(matrix_names(html_of(response))) == min(len(scaled.learners), 50)
    assert html_of(response).count('<h3 id="assignment-') == len(scaled.assignments)
    with django_assert_num_queries(TEAM_DASHBOARD_FILTERED_QUERIES):
        response = client.get(f"{url}?assignment={scaled.assignments[-1].pk}&sort=-overall")
    assert len(grid_of(html_of(response))[0]) == 4 + 2  # with Status; a topic and a question
    with django_assert_num_queries(TEAM_DASHBOARD_HTMX_QUERIES):
        response = client.get(f"{url}?sort=last", headers=HTMX)
    assert len(matrix_names(html_of(response))) == min(len(scaled.learners), 50)


def test_team_topic_queries(scaled, django_assert_num_queries):
    client = scaled.client(scaled.instructor)
    url = reverse("teams:team_topic", args=[scaled.team.pk, scaled.topics[0].slug])
    with django_assert_num_queries(TEAM_TOPIC_QUERIES):
        response = client.get(url)
    assert f"Complete ({len(scaled.learners)})" in html_of(response)


def test_team_detail_queries(scaled, django_assert_num_queries):
    url = scaled.team.get_absolute_url()
    client = scaled.client(scaled.instructor)
    with django_assert_num_queries(TEAM_DETAIL_INSTRUCTOR_QUERIES):
        response = client.get(url)
    assert f"Members ({len(scaled.learners) + 1})" in html_of(response)
    client = scaled.client(scaled.learners[0])
    with django_assert_num_queries(TEAM_DETAIL_LEARNER_QUERIES):
        response = client.get(url)
    assert html_of(response).count("Complete ✓") == len(scaled.assignments)


def test_assignment_detail_queries(scaled, django_assert_num_queries):
    client = scaled.client(scaled.learners[0])
    url = reverse("teams:assignment_detail", args=[scaled.team.pk, scaled.assignments[0].pk])
    with django_assert_num_queries(ASSIGNMENT_DETAIL_QUERIES):
        response = client.get(url)
    assert html_of(response).count('<li class="row">') == 5


def test_learner_dashboard_queries(scaled, django_assert_num_queries):
    client = scaled.client(scaled.learners[0])
    with django_assert_num_queries(LEARNER_DASHBOARD_QUERIES):
        response = client.get(reverse("progress:dashboard"))
    # The other team's assignment (made first) and this team's, none with a due date.
    team_page = re.escape(reverse("teams:team_list")) + r"\d+/"
    rows = re.findall(rf'<td><a href="{team_page}">(\w+)</a></td>', html_of(response))
    assert rows == ["Other"] + ["Scaled"] * len(scaled.assignments)


def test_cells_count_fresh_questions_until_their_review_falls_due(db):
    """Fresh = covered and not yet due: FSRS schedules a Good first review days ahead."""
    import time_machine

    from progress.services import record_confidence
    from questions.models import Topic

    instructor, learner = make_user(), make_user(display_name="Fay Fresh")
    team = make_team("Fresh team", instructor=instructor, learners=[learner])
    topic = Topic.objects.create(slug="fresh-topic", name="Fresh topic", position=1)
    first, second = make_question(topics=[topic]), make_question(topics=[topic])
    client = Client()
    client.force_login(instructor)
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False):
        record_confidence(user=learner, question=first, level=5)  # Easy: due in days
        record_confidence(user=learner, question=second, level=1)  # Again: not covered
        _, rows = grid_of(html_of(client.get(dashboard_url_for(team))))
        assert rows[0][3] == "1 of 2 covered, 1 fresh"
    with time_machine.travel("2026-06-01 09:00:00+00:00", tick=False):
        _, rows = grid_of(html_of(client.get(dashboard_url_for(team))))
        assert rows[0][3] == "1 of 2 covered, 0 fresh"  # still covered, but due again


def dashboard_url_for(team) -> str:
    return reverse("teams:team_dashboard", args=[team.pk])


# --- The levels view ----------------------------------------------------------------------


def test_the_levels_view_shows_each_cells_marks_by_level(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world, cells="levels")))
    header, rows = grid_of(html)
    assert header == ["Member", "Overall (of 5)", "Last activity", "Alpha", "Beta", "Gamma"]
    assert rows[0][3:] == [
        "3 of 3 covered (all): Not yet 0, Shaky 0, Okay 1, Confident 1, Mastered 1",
        "2 of 2 covered (all): Not yet 0, Shaky 0, Okay 1, Confident 1, Mastered 0",
        "0 of 1 covered: Not yet 0, Shaky 0, Okay 0, Confident 0, Mastered 0, not rated 1",
    ]
    # Bo rated Q3 Shaky: started, not covered; Alpha's third question is not rated.
    assert (
        rows[1][3]
        == "1 of 3 covered: Not yet 0, Shaky 1, Okay 1, Confident 0, Mastered 0, not rated 1"
    )
    assert grid_of(html, seen=True)[1][1][3:] == ["1/3", "1/2", "0/1"]
    assert html.count('<span class="level-bar">') == 4 * 3
    assert 'name="cells" value="levels" checked' in html
    # Sort links keep the view; the CSV holds coverage either way.
    assert 'href="?sort=-alpha&amp;cells=levels"' in html
    csv = reverse("teams:team_matrix_csv", args=[world.team.pk])
    assert f'href="{csv}?sort=name"' in html


def test_the_levels_view_of_an_assignment_counts_its_questions(world, instructor_client):
    url = dashboard_url(world, assignment=world.mixed.pk, cells="levels", sort="-status")
    header, rows = grid_of(html_of(instructor_client.get(url)))
    assert header[4:] == ["Gamma", "Beta"]
    dee = next(row for row in rows if row[0] == DEE)
    assert dee[4:] == [
        "1 of 1 covered (all): Not yet 0, Shaky 0, Okay 0, Confident 1, Mastered 0",
        "0 of 1 covered: Not yet 1, Shaky 0, Okay 0, Confident 0, Mastered 0",
    ]


def test_htmx_swaps_the_levels_view_in(world, instructor_client):
    response = instructor_client.get(dashboard_url(world, cells="levels"), headers=HTMX)
    html = html_of(response).strip()
    assert html.startswith('<section id="matrix"')
    assert html.count('<span class="level-bar">') == 12
    assert html.endswith("Showing 3 topics as confidence levels.</p>")


# --- Links to each member and to the hard questions -------------------------------------


def member_url(world, user) -> str:
    membership = world.team.memberships.get(user=user)
    return reverse("teams:member_detail", args=[world.team.pk, membership.pk])


def test_every_learner_name_links_to_their_page(world, instructor_client):
    html = html_of(instructor_client.get(dashboard_url(world)))
    for learner in world.learners:
        link = f'<a href="{member_url(world, learner)}">{learner.shown_name}</a>'
        # A row of the grid and a line in each of the two assignments' lists.
        assert html.count(link) == 3, learner
    topic = html_of(instructor_client.get(topic_url(world, "alpha")))
    for learner in world.learners:
        assert f'<a href="{member_url(world, learner)}">{learner.shown_name}</a>' in topic


def test_the_dashboard_and_topic_page_link_to_the_hard_questions(world, instructor_client):
    hard = reverse("teams:hard_questions", args=[world.team.pk])
    html = html_of(instructor_client.get(dashboard_url(world)))
    assert f'<a href="{hard}">Questions the team finds hard</a>' in html
    filtered = html_of(
        instructor_client.get(dashboard_url(world, assignment=world.week1.pk), headers=HTMX)
    )
    assert f'<a href="{hard}?assignment={world.week1.pk}">' in filtered
    topic = html_of(instructor_client.get(topic_url(world, "alpha")))
    assert f'<a href="{hard}?topic=alpha">All of Alpha\'s questions by difficulty</a>' in topic


def test_a_display_name_is_escaped_in_every_link(world, instructor_client):
    world.ada.display_name = '<b onmouseover="x">Ada</b>'
    world.ada.save()
    html = html_of(instructor_client.get(dashboard_url(world, assignment=world.week1.pk)))
    assert '<b onmouseover="x">' not in html
    assert "&lt;b onmouseover=&quot;x&quot;&gt;Ada&lt;/b&gt;</a>" in html
