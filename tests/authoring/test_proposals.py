"""Proposals (authoring/proposal_views.py, authoring/proposals.py): a member proposes a
question to a team, warned of likely duplicates among what they can see; the team's
instructors see the count in the navigation, review the queue, accept (perhaps edited)
or decline with a reason; the proposer follows the outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from authoring.models import Proposal, QuestionRevision
from authoring.proposals import (
    ANSWER_MAX,
    DUPLICATE_WORK,
    REASON_MAX,
    TEXT_MAX,
    TOPICS_MAX,
    WAITING_MAX,
    accept_proposal,
    decline_proposal,
    likely_duplicates,
    propose,
    sharing_words,
)
from authoring.services import QuestionContent
from questions.access import visible_questions
from questions.importing.document import normalise_for_match
from questions.importing.duplicates import Work
from questions.models import Question, Topic
from teams.models import Team
from tests.factories import make_question, make_topic, make_user
from tests.pages import HTMX, field_errors, html_of, squash, table_rows, title
from tests.progress.test_topic_views import QUERIES
from tests.teams.factories import INSTRUCTOR, add_member, make_team

pytestmark = pytest.mark.django_db

LIBRARY_TEXT = "What is the receptive field of a convolutional neural network layer?"
#: A rewording of LIBRARY_TEXT close enough to be a likely duplicate.
NEAR_TEXT = "What is the receptive field of a convolutional neural network's layers?"
TEAM_TEXT = "How do anchor boxes work in single shot object detectors?"
SECRET_TEXT = "Which secret dataset does the other team train its detector on?"


@dataclass
class World:
    team: Team
    other_team: Team
    learner: User
    instructor: User
    other_learner: User
    other_instructor: User
    staff: User
    library_topic: Topic
    team_topic: Topic
    other_topic: Topic
    library_question: Question
    team_question: Question
    secret_question: Question

    def users(self) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "learner": self.learner,
            "other_learner": self.other_learner,
            "instructor": self.instructor,
            "other_instructor": self.other_instructor,
            "staff": self.staff,
        }


@pytest.fixture
def world(db) -> World:
    instructor = make_user(username="iris", display_name="Iris Instructor")
    learner = make_user(username="lee", display_name="Lee Learner")
    other_instructor = make_user(username="otto", display_name="Otto Other")
    other_learner = make_user(username="eve", display_name="Eve Outsider")
    staff = User.objects.create_superuser("staff", "staff@example.com", "x", display_name="Sam")
    team = make_team("Vision group", instructor=instructor, learners=[learner])
    other_team = make_team("Other group", instructor=other_instructor, learners=[other_learner])
    library_topic = make_topic(slug="library-basics", name="Library basics")
    team_topic = make_topic(slug="team-detection", name="Team detection", bank=team.bank)
    other_topic = make_topic(slug="other-secrets", name="Other secrets", bank=other_team.bank)
    return World(
        team=team,
        other_team=other_team,
        learner=learner,
        instructor=instructor,
        other_learner=other_learner,
        other_instructor=other_instructor,
        staff=staff,
        library_topic=library_topic,
        team_topic=team_topic,
        other_topic=other_topic,
        library_question=make_question(text=LIBRARY_TEXT, topics=[library_topic]),
        team_question=make_question(text=TEAM_TEXT, topics=[team_topic], bank=team.bank),
        secret_question=make_question(text=SECRET_TEXT, topics=[other_topic], bank=other_team.bank),
    )


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def create_url(team: Team) -> str:
    return reverse("authoring:proposal_create", kwargs={"team_id": team.pk})


def duplicates_url(team: Team, **query: str) -> str:
    url = reverse("authoring:proposal_duplicates", kwargs={"team_id": team.pk})
    return f"{url}?{urlencode(query)}" if query else url


def queue_url(team: Team) -> str:
    return reverse("authoring:review_queue", kwargs={"team_id": team.pk})


def review_url(team: Team, proposal: Proposal) -> str:
    return reverse(
        "authoring:proposal_review", kwargs={"team_id": team.pk, "proposal_id": proposal.pk}
    )


MY_PROPOSALS = reverse("authoring:my_proposals")


def question_url(question: Question) -> str:
    return reverse("progress:question_detail", kwargs={"key": question.key})


def a_proposal(world: World, text: str = "Why do residual connections help training?", **kw):
    return propose(
        bank_id=world.team.bank_id,
        author=kw.pop("author", world.learner),
        text=text,
        answer=kw.pop("answer", "They let gradients flow through identity paths."),
        **kw,
    )


def proposal_post(**fields) -> dict[str, object]:
    data: dict[str, object] = {
        "text": "Why do residual connections help very deep networks train?",
        "answer": "Identity shortcuts keep gradients from vanishing.",
        "long_answer": "",
    }
    data.update(fields)
    return data


def messages_of(response) -> list[str]:
    return [
        squash(m)
        for m in re.findall(r'<p class="message message-\w+">(.*?)</p>', html_of(response), re.S)
    ]


def form_errors(response) -> str:
    match = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', html_of(response), re.S)
    return squash(match.group(1)) if match else ""


def duplicate_region(html: str) -> str:
    match = re.search(
        r'<div id="duplicates" role="status">(.*?)</div>\s*<div class="field', html, re.S
    )
    assert match, "no #duplicates region"
    return match.group(1)


def nav(html: str) -> str:
    match = re.search(r'<nav class="main-nav" aria-label="Main">.*?</nav>', html, re.S)
    assert match, "no main navigation"
    return match.group(0)


# --- Permissions: six roles on every URL ---------------------------------------------

ROLES = ("anonymous", "learner", "other_learner", "instructor", "other_instructor", "staff")
MEMBERS_200 = (302, 200, 404, 200, 404, 404)
INSTRUCTORS_200 = (302, 403, 404, 200, 404, 404)

#: What the permission walk (tests/teams/test_permissions.py) should hold for these URLs;
#: POSTs carry no data.
EXPECTATIONS: dict[str, dict[str, tuple[int, ...]]] = {
    "authoring:proposal_create": {"GET": MEMBERS_200, "POST": (302, 422, 404, 422, 404, 404)},
    "authoring:proposal_duplicates": {"GET": MEMBERS_200},
    "authoring:my_proposals": {"GET": (302, 200, 200, 200, 200, 200)},
    "authoring:review_queue": {"GET": INSTRUCTORS_200},
    "authoring:proposal_review": {
        "GET": INSTRUCTORS_200,
        "POST": (302, 403, 404, 422, 404, 404),
    },
}


def url_of(name: str, world: World, proposal: Proposal) -> str:
    if name == "authoring:my_proposals":
        return reverse(name)
    kwargs = {"team_id": world.team.pk}
    if name == "authoring:proposal_review":
        kwargs["proposal_id"] = proposal.pk
    return reverse(name, kwargs=kwargs)


def request_as(user: User | None, method: str, path: str):
    """One request in a savepoint rolled back afterwards, so each starts from the same data."""
    with transaction.atomic():
        client = client_for(user)
        response = client.get(path) if method == "GET" else client.post(path)
        transaction.set_rollback(True)
    return response


def test_every_proposal_url_has_an_expectation():
    from authoring import proposal_urls

    assert {f"authoring:{p.name}" for p in proposal_urls.urlpatterns} == set(EXPECTATIONS)


@pytest.mark.parametrize("role", ROLES)
def test_every_url_gives_the_expected_status(world, role):
    proposal = a_proposal(world)
    user = world.users()[role]
    mismatches = []
    for name, rows in EXPECTATIONS.items():
        path = url_of(name, world, proposal)
        for method, row in rows.items():
            response = request_as(user, method, path)
            expected = row[ROLES.index(role)]
            if response.status_code != expected:
                mismatches.append(f"{method} {name}: {response.status_code} != {expected}")
            elif expected == 302 and role == "anonymous":
                assert response["Location"].startswith(reverse("accounts:login"))
    assert mismatches == []
    proposal.refresh_from_db()
    assert proposal.is_pending  # nobody's empty post decided it


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_teams_proposal_is_404_under_my_team(world, method):
    foreign = propose(
        bank_id=world.other_team.bank_id, author=world.other_learner, text="Q?", answer="A."
    )
    path = review_url(world.team, foreign)
    data = {"action": "decline", "reason": "Not ours"}
    client = client_for(world.instructor)
    response = client.get(path) if method == "GET" else client.post(path, data)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_pending
    # …and under its own team's id it is still another team's, for this instructor.
    assert client.get(review_url(world.other_team, foreign)).status_code == 404


def test_the_team_page_links_members_to_proposing_and_instructors_to_the_queue(world):
    team_page = world.team.get_absolute_url()
    learner_html = html_of(client_for(world.learner).get(team_page))
    instructor_html = html_of(client_for(world.instructor).get(team_page))
    assert f'href="{create_url(world.team)}">Propose a question</a>' in learner_html
    assert queue_url(world.team) not in learner_html
    assert f'href="{create_url(world.team)}">Propose a question</a>' in instructor_html
    assert f'href="{queue_url(world.team)}">Proposals to review</a>' in instructor_html


def test_everyone_signed_in_has_my_proposals_in_the_account_menu(world):
    html = html_of(client_for(world.other_learner).get(reverse("progress:dashboard")))
    assert f'<a href="{MY_PROPOSALS}">My proposals</a>' in html


# --- Proposing ----------------------------------------------------------------------


def test_the_form_offers_library_topics_and_the_teams_own_not_another_teams(world):
    html = html_of(client_for(world.learner).get(create_url(world.team)))
    assert title(html) == "Propose a question · Vision group · StudyHub"
    assert "Library basics" in html
    assert "Team detection" in html
    assert "Other secrets" not in html


def test_a_proposal_is_saved_waiting_in_the_team_bank(world):
    client = client_for(world.learner)
    data = proposal_post(
        text="  Why do residual   connections help\r\nvery deep networks train? ",
        answer="Identity shortcuts\r\nkeep gradients alive.",
        long_answer="Longer.",
        topics=[world.library_topic.pk, world.team_topic.pk],
    )
    response = client.post(create_url(world.team), data)
    assert response.status_code == 302
    assert response["Location"] == MY_PROPOSALS
    proposal = Proposal.objects.get()
    assert proposal.bank_id == world.team.bank_id
    assert proposal.author == world.learner
    assert proposal.status == Proposal.Status.PENDING
    assert proposal.text == "Why do residual connections help very deep networks train?"
    assert proposal.answer == "Identity shortcuts\nkeep gradients alive."
    assert proposal.long_answer == "Longer."
    assert set(proposal.topics.all()) == {world.library_topic, world.team_topic}
    followed = client.get(MY_PROPOSALS)
    assert "Proposal sent to Vision group." in " ".join(messages_of(followed))


def test_another_teams_topic_is_refused(world):
    client = client_for(world.learner)
    response = client.post(create_url(world.team), proposal_post(topics=[world.other_topic.pk]))
    assert response.status_code == 422
    assert field_errors(html_of(response), "topics") == ["Choose topics from the list."]
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    ("field", "size", "message"),
    [
        ("text", TEXT_MAX + 1, f"Keep the question to {TEXT_MAX:,} characters or fewer"),
        ("answer", ANSWER_MAX + 1, f"Keep the answer to {ANSWER_MAX:,} characters or fewer"),
        (
            "long_answer",
            ANSWER_MAX + 1,
            f"Keep the long answer to {ANSWER_MAX:,} characters or fewer",
        ),
    ],
)
def test_too_long_is_refused_with_what_was_typed_kept(world, field, size, message):
    typed = ("word " * size)[:size]
    response = client_for(world.learner).post(
        create_url(world.team), proposal_post(**{field: typed})
    )
    assert response.status_code == 422
    (error,) = field_errors(html_of(response), field)
    assert error.startswith(message)
    assert f"(it has {size})" in error
    assert typed.strip()[:200] in html_of(response)
    assert not Proposal.objects.exists()


def test_question_and_answer_are_required(world):
    response = client_for(world.learner).post(create_url(world.team), {"text": " ", "answer": ""})
    assert response.status_code == 422
    assert field_errors(html_of(response), "text") == ["Write the question."]
    assert field_errors(html_of(response), "answer") == [
        "Write an answer: it is what learners check themselves against."
    ]


def test_too_many_topics_are_refused(world):
    topics = [make_topic(slug=f"many-{i}").pk for i in range(TOPICS_MAX + 1)]
    response = client_for(world.learner).post(create_url(world.team), proposal_post(topics=topics))
    assert response.status_code == 422
    assert field_errors(html_of(response), "topics") == [f"Choose at most {TOPICS_MAX} topics."]


def test_a_learner_may_have_only_so_many_waiting_per_team(world):
    for n in range(WAITING_MAX):
        a_proposal(world, text=f"Distinct proposal number {n} about pooling?")
    client = client_for(world.learner)
    html = html_of(client.get(create_url(world.team)))
    assert f"You have {WAITING_MAX} proposals waiting for review in this team" in html
    response = client.post(create_url(world.team), proposal_post())
    assert response.status_code == 422
    assert f"You already have {WAITING_MAX} proposals waiting for review" in form_errors(response)
    assert "Why do residual connections help very deep networks train?" in html_of(response)
    assert Proposal.objects.count() == WAITING_MAX
    # Other teams and other learners are not held back…
    other = make_user()
    add_member(world.team, other)
    assert client_for(other).post(create_url(world.team), proposal_post()).status_code == 302
    # …and a decision makes room.
    decline_proposal(
        proposal=Proposal.objects.filter(author=world.learner)[0],
        instructor=world.instructor,
        reason="No",
    )
    assert client.post(create_url(world.team), proposal_post()).status_code == 302


def test_the_limit_holds_in_the_service_too(world):
    for n in range(WAITING_MAX):
        a_proposal(world, text=f"Distinct proposal number {n}?")
    from authoring.proposals import ProposalRefused

    with pytest.raises(ProposalRefused, match="waiting for review"):
        a_proposal(world)


# --- Likely duplicates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "similar"),
    [
        (
            "what is the RECEPTIVE field of a convolutional neural network layer",
            "the same question",
        ),
        (NEAR_TEXT, "% alike"),
    ],
)
def test_the_fragment_warns_of_a_library_question(world, typed, similar):
    client = client_for(world.learner)
    response = client.get(duplicates_url(world.team, text=typed), headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    html = html_of(response)
    assert "<html" not in html  # just the region's content
    assert f'href="{question_url(world.library_question)}">{LIBRARY_TEXT}</a>' in html
    assert similar in html
    assert re.search(r'<input type="checkbox" name="send_anyway" id="id_send_anyway">', html)
    # A ticked "Send it anyway" comes along (hx-include) and stays ticked as they type.
    response = client.get(duplicates_url(world.team, text=typed, send_anyway="on"), headers=HTMX)
    assert '<input type="checkbox" name="send_anyway" id="id_send_anyway" checked>' in html_of(
        response
    )


def test_without_htmx_the_check_is_the_form_with_the_text_and_the_warning(world):
    client = client_for(world.learner)
    response = client.get(duplicates_url(world.team, text=NEAR_TEXT))
    assert response.status_code == 200
    html = html_of(response)
    assert title(html) == "Propose a question · Vision group · StudyHub"
    assert f"{NEAR_TEXT.replace(chr(39), '&#x27;')}</textarea>" in html
    assert question_url(world.library_question) in duplicate_region(html)


def test_nothing_alike_gives_an_empty_region(world):
    client = client_for(world.learner)
    for text in ("", "How does mixup augmentation regularise a classifier?"):
        response = client.get(duplicates_url(world.team, text=text), headers=HTMX)
        assert response.status_code == 200
        assert squash(html_of(response)) == ""


def test_the_teams_own_question_is_found_but_never_another_teams(world):
    client = client_for(world.learner)
    own = html_of(client.get(duplicates_url(world.team, text=TEAM_TEXT), headers=HTMX))
    assert question_url(world.team_question) in own
    secret = html_of(client.get(duplicates_url(world.team, text=SECRET_TEXT), headers=HTMX))
    assert squash(secret) == ""
    assert world.secret_question.key not in secret
    # The other team's own members are warned of it: it is theirs to see.
    theirs = client_for(world.other_learner).get(
        duplicates_url(world.other_team, text=SECRET_TEXT), headers=HTMX
    )
    assert question_url(world.secret_question) in html_of(theirs)


def test_a_learner_in_two_teams_is_warned_of_either_teams_questions(world):
    """What the learner sees is the library and every bank of theirs, so proposing to
    one team warns of a question of their other team: no leak, they see it anyway."""
    add_member(world.other_team, world.learner)
    html = html_of(
        client_for(world.learner).get(duplicates_url(world.team, text=SECRET_TEXT), headers=HTMX)
    )
    assert question_url(world.secret_question) in html


def test_retired_questions_are_not_duplicates(world):
    Question.objects.filter(pk=world.library_question.pk).update(retired_at=timezone.now())
    html = html_of(
        client_for(world.learner).get(duplicates_url(world.team, text=LIBRARY_TEXT), headers=HTMX)
    )
    assert squash(html) == ""


def test_sending_a_likely_duplicate_asks_first_and_keeps_the_text(world):
    client = client_for(world.learner)
    data = proposal_post(text=NEAR_TEXT, answer="The input region one output sees.")
    response = client.post(create_url(world.team), data)
    assert response.status_code == 422
    html = html_of(response)
    assert "looks like one you can already study" in form_errors(response)
    assert f'href="{question_url(world.library_question)}">{LIBRARY_TEXT}</a>' in (
        duplicate_region(html)
    )
    assert "The input region one output sees.</textarea>" in html
    assert "Send it anyway" in html
    assert not Proposal.objects.exists()

    response = client.post(create_url(world.team), {**data, "send_anyway": "on"})
    assert response.status_code == 302
    assert Proposal.objects.get().text == NEAR_TEXT


def test_sending_another_teams_question_is_not_warned(world):
    """The learner cannot see it, so it is no duplicate for them; its text is not shown."""
    response = client_for(world.learner).post(
        create_url(world.team), proposal_post(text=SECRET_TEXT)
    )
    assert response.status_code == 302
    assert Proposal.objects.get().text == SECRET_TEXT


def test_the_check_is_bounded_however_many_questions_look_alike(world, monkeypatch):
    """A text of common words against many questions sharing them: the finder's caps
    keep the work under the budget, so the check answers."""
    works: list[Work] = []

    class Recorded(Work):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            works.append(self)

    monkeypatch.setattr("authoring.proposals.Work", Recorded)
    words = ["what", "how", "does", "the", "model", "layer", "network", "training"]
    words += ["data", "image", "feature", "loss"]
    Question.objects.bulk_create(
        Question(key=f"alike-{i}", position=1000 + i, text=" ".join(words[: 6 + i % 7]) + f" {i}?")
        for i in range(3000)
    )
    hostile = " ".join(words * 100)[:TEXT_MAX]
    check = likely_duplicates(hostile, among=visible_questions(world.learner))
    assert check.checked
    (work,) = works
    assert 0 < work.units <= DUPLICATE_WORK
    # A text over the limit is not compared at all.
    too_long = likely_duplicates("x " * TEXT_MAX, among=visible_questions(world.learner))
    assert (too_long.checked, too_long.duplicates) == (False, [])
    assert len(works) == 1


def test_over_the_work_budget_the_check_says_nothing_instead_of_failing(world, monkeypatch):
    monkeypatch.setattr("authoring.proposals.DUPLICATE_WORK", 1)
    check = likely_duplicates(NEAR_TEXT, among=visible_questions(world.learner))
    assert (check.checked, check.duplicates) == (False, [])
    # An exact match needs no comparing, so it is still reported.
    check = likely_duplicates(LIBRARY_TEXT, among=visible_questions(world.learner))
    assert [d.question for d in check.duplicates] == [world.library_question]


# --- The queue and the count in the navigation ------------------------------------------


def test_a_proposal_appears_in_the_queue_and_the_count_in_the_navigation(
    world, django_assert_num_queries
):
    client = client_for(world.learner)
    assert client.post(create_url(world.team), proposal_post()).status_code == 302
    instructor = client_for(world.instructor)
    # The count adds no query: it is part of the navigation's teams query.
    with django_assert_num_queries(QUERIES["topic_list"]):
        html = html_of(instructor.get(reverse("progress:topic_list")))
    menu = nav(html)
    assert (
        f'<a href="{queue_url(world.team)}">Proposals '
        '<span class="badge">1<span class="visually-hidden"> waiting</span></span></a>'
    ) in menu
    # Learners, and instructors of other teams, see no count.
    for user in (world.learner, world.other_instructor):
        assert "Proposals" not in nav(html_of(client_for(user).get(reverse("progress:topic_list"))))
    rows = table_rows(html_of(instructor.get(queue_url(world.team))), "proposals")
    assert rows[1][:2] == [
        "Why do residual connections help very deep networks train?",
        "Lee Learner",
    ]
    assert rows[1][3] == "Waiting for review"


def test_the_count_covers_every_team_taught_and_only_waiting_proposals(world):
    second = make_team("Second group", instructor=world.instructor)
    a_proposal(world)
    a_proposal(world, text="Another one?")
    decided = a_proposal(world, text="Decided one?")
    decline_proposal(proposal=decided, instructor=world.instructor, reason="No")
    propose(bank_id=second.bank_id, author=world.instructor, text="Mine?", answer="Yes.")
    # A team where the user is only a learner does not count.
    add_member(world.other_team, world.instructor)
    propose(bank_id=world.other_team.bank_id, author=world.other_learner, text="X?", answer="Y.")
    menu = nav(html_of(client_for(world.instructor).get(reverse("progress:dashboard"))))
    assert '<span class="badge">3<span class="visually-hidden"> waiting</span></span>' in menu
    assert f'<a href="{queue_url(world.team)}">Vision group: 2 waiting</a>' in menu
    assert f'<a href="{queue_url(second)}">Second group: 1 waiting</a>' in menu
    assert queue_url(world.other_team) not in menu


def test_the_queue_lists_waiting_ones_oldest_first_then_decided_ones(world):
    first = a_proposal(world, text="First waiting?")
    accepted = a_proposal(world, text="Accepted one?")
    second = a_proposal(world, text="Second waiting?")
    declined = a_proposal(world, text="Declined one?")
    content = QuestionContent(text="Accepted one?", concise="Yes.", topics=("library-basics",))
    accept_proposal(proposal=accepted, instructor=world.instructor, content=content)
    decline_proposal(proposal=declined, instructor=world.instructor, reason="Off topic")
    html = html_of(client_for(world.instructor).get(queue_url(world.team)))
    assert "2 waiting for review" in html
    rows = table_rows(html, "proposals")[1:]
    assert [row[0] for row in rows] == [first.text, second.text, declined.text, accepted.text]
    assert rows[2][3] == "Declined by Iris Instructor"
    assert rows[3][3].startswith("Accepted by Iris Instructor (Q")


@pytest.mark.parametrize("size", [3, 30])
def test_the_pages_run_a_fixed_number_of_queries(world, size, django_assert_num_queries):
    learners = [make_user() for _ in range(3)]
    for user in learners:
        add_member(world.team, user)
    for n in range(size):
        proposal = a_proposal(
            world, text=f"Proposal {n}?", author=learners[n % 3], topics=[world.library_topic]
        )
        if n % 3 == 0:
            decline_proposal(proposal=proposal, instructor=world.instructor, reason="No")
    # One like a library question, so the review page offers it as related.
    proposal = a_proposal(world, text=NEAR_TEXT, author=learners[1])
    instructor, learner = client_for(world.instructor), client_for(learners[0])
    layout = QUERIES["topic_list"] - 1
    # + membership, the waiting count, the topics
    with django_assert_num_queries(layout + 3):
        assert learner.get(create_url(world.team)).status_code == 200
    # session, user, membership, the questions compared
    with django_assert_num_queries(2 + 2):
        assert learner.get(duplicates_url(world.team, text="x"), headers=HTMX).status_code == 200
    # + count, page
    with django_assert_num_queries(layout + 2):
        assert learner.get(MY_PROPOSALS).status_code == 200
    # + membership, counts, page
    with django_assert_num_queries(layout + 3):
        assert instructor.get(queue_url(world.team)).status_code == 200
    # + membership, proposal, the questions compared, its topics, the topics, the related
    # questions offered
    with django_assert_num_queries(layout + 6):
        assert instructor.get(review_url(world.team, proposal)).status_code == 200


def test_long_lists_are_paged(world):
    for n in range(55):
        Proposal.objects.create(
            bank=world.team.bank, author=world.learner, text=f"P{n}?", answer="A"
        )
    html = html_of(client_for(world.instructor).get(queue_url(world.team)))
    assert len(table_rows(html, "proposals")) == 51
    assert "Page 1 of 2" in html
    html = html_of(client_for(world.learner).get(MY_PROPOSALS + "?page=2"))
    assert len(table_rows(html, "proposals")) == 6


# --- Accepting ---------------------------------------------------------------------------


def test_accepting_with_edits_writes_the_edited_question_into_the_team_bank(world):
    proposal = a_proposal(world, text=NEAR_TEXT, topics=[world.library_topic])
    instructor = client_for(world.instructor)
    html = html_of(instructor.get(review_url(world.team, proposal)))
    assert f"{NEAR_TEXT.replace(chr(39), '&#x27;')}</textarea>" in html
    # The library question it resembles is offered as related, ticked.
    assert re.search(
        rf'value="{world.library_question.pk}"[^>]*checked|checked[^>]*value="{world.library_question.pk}"',
        html,
    )
    response = instructor.post(
        review_url(world.team, proposal),
        {
            "action": "accept",
            "text": "How large is the receptive field of a layer deep in a CNN?",
            "answer": "It grows with depth.",
            "long_answer": "Each layer adds kernel size minus one, times the stride.",
            "topics": [world.team_topic.pk, world.library_topic.pk],
            "related": [world.library_question.pk],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == queue_url(world.team)
    proposal.refresh_from_db()
    question = proposal.question
    assert proposal.status == Proposal.Status.ACCEPTED
    assert proposal.decided_by == world.instructor
    assert proposal.decided_at is not None
    assert question.bank_id == world.team.bank_id
    assert question.text == "How large is the receptive field of a layer deep in a CNN?"
    assert question.concise_answer.text == "It grows with depth."
    assert question.long_answer.text.startswith("Each layer adds")
    assert set(question.topics.all()) == {world.team_topic, world.library_topic}
    assert list(question.related.all()) == [world.library_question]
    assert question.created_by == world.instructor
    (revision,) = QuestionRevision.objects.filter(question=question)
    assert revision.author == world.instructor
    assert revision.action == "Accepted from a proposal by Lee Learner"
    assert f"is now Q{question.position} in Vision group" in " ".join(
        messages_of(instructor.get(queue_url(world.team)))
    )
    # The team's members see it; another team's member gets a 404.
    page = question_url(question)
    assert client_for(world.learner).get(page).status_code == 200
    assert client_for(world.other_learner).get(page).status_code == 404
    assert client_for(world.other_instructor).get(page).status_code == 404


def test_the_proposer_sees_it_accepted_with_a_link(world):
    proposal = a_proposal(world)
    content = QuestionContent(text=proposal.text, concise="Yes.", topics=("library-basics",))
    question = accept_proposal(proposal=proposal, instructor=world.instructor, content=content)
    assert question is not None
    html = html_of(client_for(world.learner).get(MY_PROPOSALS))
    (row,) = table_rows(html, "proposals")[1:]
    assert row[1] == "Vision group"
    assert row[3] == f"Accepted: open Q{question.position}, the question it became"
    assert f'href="{question_url(question)}"' in html


def test_accepting_needs_a_topic_and_keeps_what_was_typed(world):
    proposal = a_proposal(world)
    response = client_for(world.instructor).post(
        review_url(world.team, proposal),
        {"action": "accept", "text": "Edited text?", "answer": "Edited answer."},
    )
    assert response.status_code == 422
    html = html_of(response)
    assert field_errors(html, "topics") == [
        "Choose at least one topic: every question belongs to one."
    ]
    assert "\nEdited text?</textarea>" in html
    proposal.refresh_from_db()
    assert proposal.is_pending
    assert not Question.objects.filter(text="Edited text?").exists()


def test_related_questions_come_only_from_the_suggestions_in_the_teams_scope(world):
    proposal = a_proposal(world, text=SECRET_TEXT)
    html = html_of(client_for(world.instructor).get(review_url(world.team, proposal)))
    assert world.secret_question.key not in html
    assert "No question in the library or the team bank looks like this one." in html
    response = client_for(world.instructor).post(
        review_url(world.team, proposal),
        {
            "action": "accept",
            "text": SECRET_TEXT,
            "answer": "A.",
            "topics": [world.library_topic.pk],
            "related": [world.secret_question.pk],
        },
    )
    assert response.status_code == 422
    assert field_errors(html_of(response), "related") == ["Choose related questions from the list."]


def test_accepting_twice_writes_one_question(world):
    proposal = a_proposal(world)
    content = QuestionContent(text="Once?", concise="Yes.", topics=("library-basics",))
    first = accept_proposal(proposal=proposal, instructor=world.instructor, content=content)
    second = accept_proposal(proposal=proposal, instructor=world.instructor, content=content)
    assert first is not None
    assert second is None
    assert Question.objects.filter(text="Once?").count() == 1
    assert not decline_proposal(proposal=proposal, instructor=world.instructor, reason="Late")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.reason, proposal.question) == ("accepted", "", first)


def test_a_second_click_on_accept_changes_nothing(world):
    proposal = a_proposal(world)
    co_instructor = make_user(display_name="Cleo Co")
    add_member(world.team, co_instructor, role=INSTRUCTOR)
    data = {
        "action": "accept",
        "text": "Once?",
        "answer": "Yes.",
        "topics": [world.library_topic.pk],
    }
    assert (
        client_for(world.instructor).post(review_url(world.team, proposal), data).status_code == 302
    )
    other = client_for(co_instructor)
    response = other.post(review_url(world.team, proposal), {**data, "text": "Twice?"})
    assert response.status_code == 302
    followed = other.get(response["Location"])
    assert "already accepted by Iris Instructor" in " ".join(messages_of(followed))
    assert Question.objects.filter(text__in=["Once?", "Twice?"]).count() == 1
    # The decided proposal shows how it was decided, with no form.
    html = html_of(followed)
    assert 'value="accept"' not in html
    assert "Accepted by Iris Instructor" in squash(html)


# --- Declining ------------------------------------------------------------------------


def test_declining_needs_a_reason_and_the_proposer_reads_it(world):
    proposal = a_proposal(world)
    instructor = client_for(world.instructor)
    response = instructor.post(
        review_url(world.team, proposal), {"action": "decline", "reason": "  "}
    )
    assert response.status_code == 422
    assert field_errors(html_of(response), "reason") == [
        "Give a reason: the learner who proposed it reads it."
    ]
    too_long = "x" * (REASON_MAX + 1)
    response = instructor.post(
        review_url(world.team, proposal), {"action": "decline", "reason": too_long}
    )
    assert response.status_code == 422
    assert field_errors(html_of(response), "reason")[0].startswith(
        f"Keep the reason to {REASON_MAX:,} characters or fewer"
    )
    assert too_long in html_of(response)
    proposal.refresh_from_db()
    assert proposal.is_pending

    reason = "Q12 already asks this; <b>see</b> it."
    response = instructor.post(
        review_url(world.team, proposal), {"action": "decline", "reason": reason}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.reason, proposal.decided_by) == (
        "declined",
        reason,
        world.instructor,
    )
    assert proposal.question is None
    html = html_of(client_for(world.learner).get(MY_PROPOSALS))
    (row,) = table_rows(html, "proposals")[1:]
    assert row[3] == f"Declined: {reason}"
    assert "&lt;b&gt;see&lt;/b&gt;" in html  # as text


def test_a_post_without_a_choice_is_refused(world):
    proposal = a_proposal(world)
    response = client_for(world.instructor).post(review_url(world.team, proposal), {})
    assert response.status_code == 422
    assert "Choose “Accept” or “Decline”." in html_of(response)
    proposal.refresh_from_db()
    assert proposal.is_pending


def test_my_proposals_are_only_mine(world):
    a_proposal(world, text="Lee's own question?")
    html = html_of(client_for(world.other_learner).get(MY_PROPOSALS))
    assert "Lee's own question?" not in html
    assert "You have not proposed any questions yet." in html


# --- Narrowing the questions read -------------------------------------------------------


def rewordings(text: str) -> list[str]:
    words = text.rstrip("?").split()
    return [
        text,
        text.upper(),
        " ".join(words[1:]) + "?",  # first word dropped
        " ".join(words[:-1]) + "?",  # last word dropped
        " ".join([*words[:2], "really", *words[2:]]) + "?",  # a word added
        " ".join(w if i % 4 else w + "s" for i, w in enumerate(words)) + "?",  # plurals
    ]


def test_narrowing_finds_what_reading_every_question_finds(seed_bank, world, monkeypatch):
    """sharing_words only skips questions the finder would never compare: for each seed
    question reworded six ways, the check finds the same with and without it."""
    texts = [t for q in Question.objects.filter(bank=None) for t in rewordings(q.text)]
    among = visible_questions(world.learner)

    def found(text: str) -> list[tuple[int, int]]:
        return [
            (d.question.pk, d.similarity) for d in likely_duplicates(text, among=among).duplicates
        ]

    narrowed = [found(text) for text in texts]
    monkeypatch.setattr("authoring.proposals.sharing_words", lambda normalised: Q())
    assert narrowed == [found(text) for text in texts]
    assert sum(1 for hits in narrowed if hits) >= len(texts) * 2 // 3


def test_text_outside_ascii_is_compared_with_every_question(world):
    question = make_question(text="Qu'est-ce qu'un réseau de neurones convolutif profond?")
    check = likely_duplicates(
        "QU'EST-CE QU'UN RÉSEAU DE NEURONES CONVOLUTIFS PROFONDS?",
        among=visible_questions(world.learner),
    )
    assert [d.question for d in check.duplicates] == [question]
    assert sharing_words(normalise_for_match("réseau de neurones")) == Q()
    words = " ".join(f"word{n:02d}" for n in range(40))
    assert sharing_words(words) == Q()  # too many words to look for: read them all


def test_the_live_duplicate_check_is_a_post_so_a_long_question_fits(client, db):
    """1,000 characters of a non-Latin script are about 9 KB URL-encoded: too long for a
    request line, so the form sends them in a POST body (with the CSRF token)."""
    learner = make_user()
    team = make_team("Team", learners=[learner])
    client.force_login(learner)
    page = client.get(reverse("authoring:proposal_create", kwargs={"team_id": team.pk}))
    url = reverse("authoring:proposal_duplicates", kwargs={"team_id": team.pk})
    assert f'hx-post="{url}"' in html_of(page)
    text = "Что такое свёртка в нейронной сети и зачем она нужна?"
    seen = make_question(text=text, topics=[make_topic()])
    response = client.post(url, {"text": text}, headers=HTMX)
    assert response.status_code == 200
    assert seen.get_absolute_url() in html_of(response)  # the POST body was read


def test_the_proposal_form_never_cuts_pasted_text(client, db):
    learner = make_user()
    team = make_team("Team", learners=[learner])
    client.force_login(learner)
    page = html_of(client.get(reverse("authoring:proposal_create", kwargs={"team_id": team.pk})))
    assert "maxlength" not in page
