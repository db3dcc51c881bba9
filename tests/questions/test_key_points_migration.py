"""questions 0006 adds key points and derives them for every question already there."""

from __future__ import annotations

import pytest

from questions.key_points import derive_key_points
from tests.migrating import migrate, migrate_to_latest

BEFORE = [("questions", "0005_answer_html")]
AFTER = [("questions", "0006_question_key_points")]

ANSWERS = [
    ("Pooling downsamples feature maps. It adds invariance.", ""),
    ("", "Only a long answer. It has two sentences."),
    ("Benefits:\n\n- **Speed**: less compute.\n- Memory: smaller weights.", "Long too."),
    (None, None),  # a question without answers
]


@pytest.mark.django_db(transaction=True)
def test_every_question_gets_the_key_points_of_its_answers():
    try:
        apps = migrate(BEFORE)
        Question = apps.get_model("questions", "Question")
        Answer = apps.get_model("questions", "Answer")
        assert "key_points" not in {f.name for f in Question._meta.get_fields()}
        keys = []
        for position, (concise, long) in enumerate(ANSWERS, start=1):
            question = Question.objects.create(key=f"q-{position}", position=position, text="Q?")
            keys.append(question.key)
            for kind, text in (("concise", concise), ("long", long)):
                if text:
                    Answer.objects.create(question=question, kind=kind, text=text, html="")

        apps = migrate(AFTER)
        Question = apps.get_model("questions", "Question")
        by_key = {q.key: q for q in Question.objects.all()}
        assert sorted(by_key) == sorted(keys)
        for key, (concise, long) in zip(keys, ANSWERS, strict=True):
            question = by_key[key]
            assert question.key_points == derive_key_points(concise, long)
            assert question.key_points_edited is False
            assert question.text == "Q?"
        assert by_key["q-1"].key_points == [
            "Pooling downsamples feature maps.",
            "It adds invariance.",
        ]
        assert by_key["q-3"].key_points == ["Speed: less compute.", "Memory: smaller weights."]
        assert by_key["q-4"].key_points == []
        # Answers are untouched, and the search index's triggers are back (SQLite).
        assert apps.get_model("questions", "Answer").objects.count() == 4

        apps = migrate(BEFORE)  # reversible: the columns go, the questions stay
        assert apps.get_model("questions", "Question").objects.count() == len(ANSWERS)
    finally:
        migrate_to_latest()
