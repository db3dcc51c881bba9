"""The question bank page and the import pages: upload, preview, confirm, result."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from questions import access
from questions.importing import parse_import
from questions.importing.planning import KEY_MAX, bank_name, derived_key
from questions.models import ImportRecord, Question, Topic
from tests.factories import make_question, make_topic, make_user
from tests.pages import field_errors, html_of
from tests.questions.test_import_parsers import EXAMPLES
from tests.questions.test_import_services import Q10_REWORDED, snapshot
from tests.teams.factories import add_member, make_team

pytestmark = pytest.mark.django_db

UPLOAD = reverse("questions:import_upload")
BANK = reverse("questions:bank")


@pytest.fixture
def instructor() -> User:
    user = make_user(username="iris", display_name="Iris Instructor")
    make_team("Week 3 cohort", instructor=user)
    return user


@pytest.fixture
def instructor_client(client, instructor) -> Client:
    client.force_login(instructor)
    return client


def upload_file(name: str, content: bytes | str, content_type: str = "text/plain"):
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type=content_type)


def upload(client: Client, name: str, content: bytes | str, **fields):
    data = {"file": upload_file(name, content), "format": "auto", **fields}
    return client.post(UPLOAD, data)


def summary(response) -> dict[str, str]:
    """The <dt>/<dd> pairs of the page's summary."""
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", html_of(response)))


# --- Who may import ------------------------------------------------------------------


def test_learners_may_not_import_and_are_told_so(client, seed_bank, user):
    client.force_login(user)
    assert client.get(UPLOAD).status_code == 403
    response = upload(client, "q.md", "## 1. What?\nA.\n")
    assert response.status_code == 403
    assert ImportRecord.objects.count() == 0
    bank = client.get(BANK)
    assert "Staff and the instructors of a team can import questions" in html_of(bank)
    assert UPLOAD not in html_of(bank)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(UPLOAD)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={UPLOAD}"


def test_staff_who_are_in_no_team_may_import(client, seed_bank):
    staff = User.objects.create_user("admin", password="x", is_staff=True)
    client.force_login(staff)
    response = client.get(UPLOAD)
    assert response.status_code == 200
    assert "Question file" in html_of(response)


def test_someone_elses_import_is_not_found(client, instructor, seed_bank):
    record = ImportRecord.objects.create(
        user=instructor,
        file_name="q.md",
        format="auto",
        text="## 1. What?\n",
        topics=["ocr"],
        bank=team_bank_of(instructor),
    )
    other = make_user()
    make_team(instructor=other)
    client.force_login(other)
    assert client.get(record.get_absolute_url()).status_code == 404
    assert client.post(record.get_absolute_url()).status_code == 404
    assert Question.objects.count() == 50


# --- The bank page -------------------------------------------------------------------


def test_bank_page_counts_and_offers_downloads_and_import(instructor_client, seed_bank):
    response = instructor_client.get(BANK)
    page = html_of(response)
    assert "50 questions with 55 answers, in 13 topics." in page
    assert f'href="{reverse("questions:export_bank_json")}" download' in page
    assert f'href="{reverse("questions:export_bank_csv")}" download' in page
    assert f'href="{UPLOAD}">Import questions</a>' in page


def test_topic_list_links_to_the_bank(logged_in_client, seed_bank):
    assert f'<a href="{BANK}">Download or import the question bank</a>' in html_of(
        logged_in_client.get(reverse("progress:topic_list"))
    )


@pytest.mark.parametrize("imports", [1, 4])
def test_bank_page_queries_do_not_grow(
    instructor_client, instructor, imports, django_assert_num_queries
):
    records = [
        ImportRecord.objects.create(
            user=instructor, file_name=f"{n}.md", format="auto", text="x", status="done"
        )
        for n in range(imports)
    ]
    # session, user, may import, 3 counts, recent imports, teams (navigation)
    with django_assert_num_queries(8):
        response = instructor_client.get(BANK)
    page = html_of(response)
    links = [f'<li><a href="{record.get_absolute_url()}"' for record in records]
    assert [page.count(link) for link in links] == [1] * imports


# --- Upload ---------------------------------------------------------------------------


def test_upload_form_labels_every_control(instructor_client, seed_bank):
    page = html_of(instructor_client.get(UPLOAD))
    assert re.search(r'<label for="id_file">Question file:?</label>', page)
    assert re.search(r'<label for="id_format">Format:?</label>', page)
    assert "<legend>Add every question to these topics</legend>" in page
    # The group is described by its help text, which says how else questions get topics.
    assert re.search(r'<fieldset aria-describedby="id_topics_helptext">\s*<legend>', page)
    assert re.search(r'<p class="help" id="id_topics_helptext">Questions also join', page)
    assert re.search(r'<label for="id_topics_\d+"><input [^>]*value="deployment"', page)
    assert re.search(r'<label for="id_new_topic">New topic:?</label>', page)
    assert 'enctype="multipart/form-data"' in page


def test_a_topic_that_is_gone_is_named_beside_the_topics(instructor_client, seed_bank):
    content = (EXAMPLES / "questions.md").read_text(encoding="utf-8")
    response = upload(instructor_client, "questions.md", content, topics=["gone"])
    assert response.status_code == 422
    assert field_errors(html_of(response), "topics") == [
        "Select a valid choice. gone is not one of the available choices."
    ]
    assert not ImportRecord.objects.exists()


def test_upload_stores_the_file_and_shows_the_preview(instructor_client, instructor, seed_bank):
    content = (EXAMPLES / "questions.md").read_text(encoding="utf-8")
    response = upload(instructor_client, "questions.md", content, topics=["applications"])
    record = ImportRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record.get_absolute_url()
    assert (record.user, record.text, record.topics, record.is_pending) == (
        instructor,
        content,
        ["applications"],
        True,
    )
    assert Question.objects.count() == 50  # nothing imported yet

    preview = instructor_client.get(record.get_absolute_url())
    page = html_of(preview)
    assert summary(preview) == {
        "Format": "Markdown (detected)",
        "Questions found": "3",
        "Answers found": "3",
        "New questions": "3",
        "Already in the bank": "0",
        "Likely duplicates": "0",
        "New topics": "2",
    }
    assert "Nothing has been added yet." in page
    # A new topic of a team bank gets a slug of the bank's own.
    slug = f"vision-transformers-t{record.bank_id}"
    assert f'<th scope="row">Vision transformers</th><td><code>{slug}</code></td>' in page
    assert "<strong>No: a new topic</strong>" in page
    assert '<th scope="row">How does a vision transformer turn an image into tokens?</th>' in page
    assert "Vision transformers; Medical imaging and multi-modal" in page
    assert '<button type="submit" class="button primary">Import questions</button>' in page


def test_upload_with_a_mistake_names_the_line_and_keeps_the_choices(instructor_client, seed_bank):
    bad = "question,answer,answer_incomplete\nWhat is a stride?,The step.,maybe\n"
    response = upload(
        instructor_client, "bank.csv", bad, topics=["ocr"], new_topic="Week 3", format="csv"
    )
    page = html_of(response)
    assert response.status_code == 422
    assert "bank.csv, line 2: answer_incomplete must be yes or no, not “maybe”" in page
    assert escape("Line 2 reads: “What is a stride?,The step.,maybe”") in page
    assert 'aria-invalid="true"' in page
    assert re.search(r'value="ocr"[^>]*checked', page)
    assert 'value="Week 3"' in page
    assert '<option value="csv" selected>CSV</option>' in page
    assert "choose it again" in page
    assert ImportRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("q.txt", b"1. Caf\xe9?\n", "q.txt, line 1: is not UTF-8 text"),
        ("q.docx", b"PK\x03\x04\x14\x00", "q.docx: is a zip archive (a Word or Excel file?)"),
        ("q.md", b"\n\n", "q.md: the file is empty"),
        ("q.md", b"", "The submitted file is empty."),
        ("q.txt", b"Just prose.\n", "q.txt: cannot tell the file&#x27;s format"),
        ("q.txt", b"-----ANSWER-----\n1. One.\n", "q.txt: no numbered questions found"),
    ],
    ids=["latin-1", "docx", "blank", "zero-bytes", "prose", "answers-only"],
)
def test_unreadable_uploads_are_clear_errors(instructor_client, seed_bank, name, content, message):
    response = upload(instructor_client, name, content, topics=["ocr"])
    assert response.status_code == 422
    assert message in html_of(response)
    assert "Traceback" not in html_of(response)
    assert ImportRecord.objects.count() == 0


def test_upload_over_the_size_limit_is_refused(instructor_client, seed_bank, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(instructor_client, "q.md", "## 1. What is a stride?\n" * 10)
    assert response.status_code == 422
    assert "This file is 240\xa0bytes; the limit is 100\xa0bytes." in html_of(response)


def test_upload_over_the_question_limit_is_refused(instructor_client, seed_bank, settings):
    settings.IMPORT_MAX_QUESTIONS = 3
    content = "".join(f"## {n}. Question {n}?\n" for n in range(1, 5))
    response = upload(instructor_client, "q.md", content, topics=["ocr"])
    assert response.status_code == 422
    assert "q.md: has 4 questions; the limit is 3 per import" in html_of(response)


def test_upload_whose_questions_would_have_no_topic_is_refused(instructor_client, seed_bank):
    response = upload(instructor_client, "plain.txt", "1. What is a stride?\n2. And padding?\n")
    assert response.status_code == 422
    assert "2 questions would have no topic (lines 1, 2)" in html_of(response)
    assert ImportRecord.objects.count() == 0


def test_a_new_upload_forgets_old_unconfirmed_previews(instructor_client, instructor, seed_bank):
    old = ImportRecord.objects.create(user=instructor, file_name="old.md", format="auto", text="x")
    done = ImportRecord.objects.create(
        user=instructor, file_name="done.md", format="auto", text="x", status="done"
    )
    long_ago = timezone.now() - timedelta(days=3)
    ImportRecord.objects.filter(pk__in=[old.pk, done.pk]).update(created_at=long_ago)
    upload(instructor_client, "q.md", "## 1. What is a stride?\nThe step.\n", topics=["ocr"])
    assert set(ImportRecord.objects.values_list("file_name", flat=True)) == {"done.md", "q.md"}


# --- Preview and confirm ---------------------------------------------------------------


@pytest.fixture
def duplicate_upload(instructor_client, seed_bank) -> ImportRecord:
    content = f"## Deployment\n\n1. {Q10_REWORDED}\n   Teacher and student.\n2. What is a TPU?\n"
    upload(instructor_client, "dup.md", content)
    return ImportRecord.objects.get()


def team_key(text: str, record: ImportRecord) -> str:
    """The key an instructor's import gives a question: a key of the team bank's own."""
    assert record.bank is not None
    return bank_name(derived_key(text), record.bank, KEY_MAX)


def test_preview_lists_likely_duplicates_with_their_match(instructor_client, duplicate_upload):
    page = html_of(instructor_client.get(duplicate_upload.get_absolute_url()))
    key = team_key(Q10_REWORDED, duplicate_upload)
    q10 = reverse("progress:question_detail", args=["cnn-10"])
    assert '<h2 id="duplicates-heading">Likely duplicates (1)</h2>' in page
    assert f"<td>{escape(Q10_REWORDED)}</td>" in page
    assert f'<span class="qnum">Q10</span> <a href="{q10}">What is model distillation' in page
    assert "<td>96%</td>" in page
    assert (
        f'<input type="checkbox" name="keep" value="{key}"> Keep'
        '<span class="visually-hidden"> line 3 as a new question</span>'
    ) in page


def test_confirm_skips_duplicates_by_default(instructor_client, duplicate_upload):
    response = instructor_client.post(duplicate_upload.get_absolute_url())
    assert response.status_code == 302
    assert Question.objects.count() == 51
    assert Question.objects.filter(text="What is a TPU?").exists()
    result = instructor_client.get(duplicate_upload.get_absolute_url())
    page = html_of(result)
    assert "Import finished" in page
    assert "Imported 1 question, 1 topic link. Skipped: 1 likely duplicate." in page  # message
    assert summary(result)["Questions added"] == "1"
    assert summary(result)["Skipped, likely duplicates"] == "1"
    assert '<span class="qnum">Q51</span> What is a TPU?</a>' in page


def test_confirm_keeps_the_ticked_duplicates_and_ignores_forged_keys(
    instructor_client, duplicate_upload
):
    key = team_key(Q10_REWORDED, duplicate_upload)
    instructor_client.post(duplicate_upload.get_absolute_url(), {"keep": [key, "cnn-01", "x"]})
    kept = Question.objects.get(key=key)
    assert kept.text == Q10_REWORDED
    assert list(kept.related.values_list("key", flat=True)) == ["cnn-10"]
    assert Question.objects.count() == 52
    duplicate_upload.refresh_from_db()
    assert duplicate_upload.status == "done" and duplicate_upload.imported_at is not None
    assert duplicate_upload.summary["created"]["questions"] == 2


def test_confirm_with_keep_all(instructor_client, duplicate_upload):
    instructor_client.post(duplicate_upload.get_absolute_url(), {"keep_all": "1"})
    assert Question.objects.filter(key=team_key(Q10_REWORDED, duplicate_upload)).exists()


def test_a_second_confirm_imports_nothing_more(instructor_client, duplicate_upload):
    url = duplicate_upload.get_absolute_url()
    instructor_client.post(url)
    before = snapshot()
    response = instructor_client.post(url, {"keep_all": "1"}, follow=True)
    assert "This file has already been imported." in html_of(response)
    assert snapshot() == before


def test_the_preview_is_worked_out_again_from_the_stored_file(instructor_client, duplicate_upload):
    # Someone else adds "What is a TPU?" between the preview and the confirm.
    make_question(text="What is a TPU?", topics=[Topic.objects.get(slug="deployment")])
    response = instructor_client.get(duplicate_upload.get_absolute_url())
    assert summary(response)["Already in the bank"] == "1"
    instructor_client.post(duplicate_upload.get_absolute_url())
    assert Question.objects.filter(text="What is a TPU?").count() == 1


def test_a_file_already_in_the_bank_has_nothing_to_confirm(instructor_client, seed_bank):
    from tests.questions.conftest import NOTEBOOK

    upload(instructor_client, "001.txt", NOTEBOOK.read_bytes())
    response = instructor_client.get(ImportRecord.objects.get().get_absolute_url())
    page = html_of(response)
    assert summary(response)["Already in the bank"] == "50"
    assert "Nothing to import: every question in this file is already in the bank." in page
    assert "Import questions</button>" not in page


def test_a_clash_while_importing_writes_nothing_and_keeps_the_preview(
    instructor_client, duplicate_upload, monkeypatch
):
    def clash(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("questions.importing.records.write_plan", clash)
    before = snapshot()
    response = instructor_client.post(duplicate_upload.get_absolute_url(), follow=True)
    assert "Nothing was imported: the question bank changed while importing" in html_of(response)
    assert snapshot() == before
    duplicate_upload.refresh_from_db()
    assert duplicate_upload.is_pending


def test_a_problem_found_at_confirm_writes_nothing(instructor_client, instructor, seed_bank):
    # Stored before the only topic its questions join went away.
    topic = make_topic(slug="gone", name="Gone")
    record = ImportRecord.objects.create(
        user=instructor,
        file_name="q.txt",
        format="auto",
        text="1. What is a stride?\n",
        topics=[],
        bank=team_bank_of(instructor),
    )
    topic.delete()
    response = instructor_client.post(record.get_absolute_url(), follow=True)
    assert "Nothing was imported. 1 question would have no topic" in html_of(response)
    assert Question.objects.count() == 50
    record.refresh_from_db()
    assert record.is_pending


@pytest.mark.parametrize("size", [5, 30])
def test_preview_queries_do_not_grow(
    instructor_client, instructor, seed_bank, size, django_assert_num_queries
):
    text = "".join(f"{n}. What is new idea number {n}?\n" for n in range(1, size + 1))
    record = ImportRecord.objects.create(
        user=instructor,
        file_name="q.txt",
        format="auto",
        text=text,
        topics=["ocr"],
        bank=team_bank_of(instructor),
    )
    # session, user, the banks they may import into, the record, topics, the bank's
    # questions, teams (nav); a team bank's keys are its own, so none is looked up
    with django_assert_num_queries(7):
        response = instructor_client.get(record.get_absolute_url())
    assert summary(response)["New questions"] == str(size)


def test_who_may_import_where():
    learner, instructor = make_user(), make_user()
    team = make_team("Cohort", instructor=instructor)
    add_member(team, learner)
    staff = make_user(is_staff=True)
    assert (access.can_import(learner), access.writable_banks(learner)) == (False, [])
    assert (access.can_import(instructor), access.writable_banks(instructor)) == (True, [team.bank])
    assert access.writable_banks(staff) == [None]
    assert access.can_edit_bank(instructor, team.bank_id) and not access.can_edit_bank(
        instructor, None
    )
    assert access.can_edit_bank(staff, None) and not access.can_edit_bank(staff, team.bank_id)


def team_bank_of(instructor: User):
    return instructor.memberships.get().team.bank


# --- Moodle's files through the pages (issue 19) -------------------------------------


@pytest.mark.parametrize(
    ("name", "label", "topic", "added"),
    [
        ("moodle.gift", "Moodle GIFT (detected)", "Model deployment", 4),
        ("aiken.txt", "Moodle Aiken (detected)", "", 2),
        ("moodle.xml", "Moodle XML (detected)", "Robustness", 3),
    ],
)
def test_moodle_files_go_through_upload_preview_and_confirm(
    instructor_client, seed_bank, name, label, topic, added
):
    content = (EXAMPLES / name).read_text(encoding="utf-8")
    fields = {} if topic else {"new_topic": "Week 3 quiz"}
    response = upload(instructor_client, name, content, **fields)
    assert response.status_code == 302, html_of(response)
    record = ImportRecord.objects.get()
    preview = instructor_client.get(record.get_absolute_url())
    assert summary(preview)["Format"] == label
    assert summary(preview)["New questions"] == str(added)
    assert instructor_client.post(record.get_absolute_url()).status_code == 302
    imported = Question.objects.filter(import_record=record).order_by("position")
    assert imported.count() == added
    topics = {t.name for q in imported for t in q.topics.all()}
    assert topics == {topic or "Week 3 quiz"}
    expected = parse_import(content, source=name).items[0]
    first = imported[0]
    answers = dict(first.answers.values_list("kind", "text"))
    assert (first.text, answers.get("concise"), first.bank) == (
        expected.text,
        expected.answer,
        record.bank,
    )
    assert answers["concise"] in {"ONNX", "Max pooling", "FGSM"}


def test_a_moodle_file_with_skipped_types_says_so_on_the_preview(instructor_client, seed_bank):
    content = "::A:: What is a stride? {=the step ~the size}\n\n::B:: Match. {=a -> b =c -> d}\n"
    upload(instructor_client, "quiz.gift", content, topics=["ocr"])
    page = html_of(instructor_client.get(ImportRecord.objects.get().get_absolute_url()))
    assert "1 question of types StudyHub cannot study was skipped: matching (line 3)." in page


def test_a_broken_moodle_file_names_its_line_on_the_form(instructor_client, seed_bank):
    content = "<quiz>\n<question type='essay'>\n</quiz>\n"
    response = upload(instructor_client, "bank.xml", content, topics=["ocr"])
    assert response.status_code == 422
    assert "bank.xml, line 3: is not well-formed XML: mismatched tag" in html_of(response)
    assert ImportRecord.objects.count() == 0
