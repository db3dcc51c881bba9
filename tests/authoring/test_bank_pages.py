"""The team bank page (its instructors) and the library page (staff)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from authoring.editor_views import BANK_PAGE_SIZE
from authoring.services import retire_question
from questions.models import ImportRecord, Question
from tests.authoring.conftest import Banks
from tests.factories import make_question, make_topic
from tests.pages import html_of, squash, table_rows

LAYOUT_QUERIES = 3  # session, user, the navigation's teams


def team_bank_url(banks: Banks) -> str:
    return reverse("authoring:team_bank", kwargs={"team_id": banks.team.pk})


LIBRARY = reverse("authoring:library")


def test_the_team_bank_lists_its_questions_retired_ones_marked(banks, instructor_client):
    retired = make_question(
        key="team-old",
        text="An old team question?",
        bank=banks.team.bank,
        topics=[banks.team_topic],
    )
    retire_question(question=retired, by=banks.instructor)
    page = html_of(instructor_client.get(team_bank_url(banks)))
    rows = table_rows(page, "bank-table")
    assert rows[0] == ["Question", "Topics", "State", "Actions"]
    body = {row[0]: row[1:3] for row in rows[1:]}
    assert body == {
        f"Q{banks.team_question.position} What is a receptive field?": [
            "CNN basics, Week 1",
            "Live",
        ],
        f"Q{retired.position} An old team question?": ["Week 1", "Retired"],
    }
    # Neither the library's nor another team's questions.
    assert "What is a convolution?" not in page and "OTHER-TEAM-SECRET" not in page
    # Write into this bank, import into it, and each question's actions.
    bank_id = banks.team.bank_id
    assert f'href="{reverse("authoring:question_create")}?bank={bank_id}"' in page
    assert f'href="{reverse("questions:import_upload")}?bank={bank_id}"' in page
    for question in (banks.team_question, retired):
        assert reverse("authoring:question_edit", kwargs={"key": question.key}) in page
        assert reverse("authoring:question_history", kwargs={"key": question.key}) in page
    assert reverse("authoring:question_retire", kwargs={"key": banks.team_question.key}) in page
    assert reverse("authoring:question_unretire", kwargs={"key": retired.key}) in page
    assert reverse("authoring:question_retire", kwargs={"key": retired.key}) not in page


def test_the_team_page_links_its_instructors_to_the_bank(banks):
    team_page = banks.team.get_absolute_url()
    link = f'href="{team_bank_url(banks)}"'
    assert link in html_of(banks.client("instructor").get(team_page))
    assert link not in html_of(banks.client("learner").get(team_page))


def test_the_library_page_comes_in_pages(banks, staff_client):
    for n in range(BANK_PAGE_SIZE + 5):
        make_question(key=f"lib-{n:03d}", text=f"Library question {n}?")
    total = Question.objects.filter(bank=None).count()
    first = html_of(staff_client.get(LIBRARY))
    assert f"{total} questions, retired ones included." in squash(first)
    assert len(table_rows(first, "bank-table")) == BANK_PAGE_SIZE + 1
    assert 'href="?page=2"' in first
    second = html_of(staff_client.get(LIBRARY, {"page": 2}))
    assert len(table_rows(second, "bank-table")) == total - BANK_PAGE_SIZE + 1
    assert "Team" not in "".join(row[0] for row in table_rows(second, "bank-table"))
    assert f'href="{reverse("authoring:question_create")}?bank=library"' in first


def grow(banks: Banks, size: int, *, bank) -> None:
    """`size` questions, each in two topics, a third retired, and `size` imports."""
    topics = [make_topic(bank=bank) for _ in range(2)]
    for n in range(size):
        question = make_question(bank=bank, topics=topics)
        if n % 3 == 0:
            retire_question(question=question, by=banks.staff)
    for n in range(size):
        ImportRecord.objects.create(
            user=banks.instructor,
            file_name=f"{n}.md",
            format="auto",
            text="x",
            status=ImportRecord.Status.DONE,
            bank=bank,
        )


#: Exact queries: the layout, (the membership,) the count, the page of questions, their
#: topics, the recent imports with who imported and undid them.
BANK_QUERIES = {"team": LAYOUT_QUERIES + 5, "library": LAYOUT_QUERIES + 4}


@pytest.mark.parametrize("size", [3, 70])
@pytest.mark.parametrize("which", ["team", "library"])
def test_bank_page_query_counts_are_flat(banks, which, size, django_assert_num_queries):
    bank = banks.team.bank if which == "team" else None
    grow(banks, size, bank=bank)
    url = team_bank_url(banks) if which == "team" else LIBRARY
    client = banks.client("instructor" if which == "team" else "staff")
    with django_assert_num_queries(BANK_QUERIES[which]):
        response = client.get(url)
    assert response.status_code == 200
    rows = table_rows(html_of(response), "bank-table")
    assert len(rows) - 1 == min(Question.objects.filter(bank=bank).count(), BANK_PAGE_SIZE)
