"""The benchmark's reference views (bench/views.py, mounted by bench/settings.py only):
the write floor's raw SQL must keep working on both databases as the schema changes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from bench.views import floor, write_floor
from progress.models import ConfidenceEvent, ConfidenceMark
from tests.factories import make_question

pytestmark = pytest.mark.django_db


def _post(user, key: str, level: int):
    request = RequestFactory().post(f"/bench/write-floor/{key}/", {"level": level})
    request.user = user
    return write_floor(request, key)


def test_the_floor_answers_ok():
    response = floor(RequestFactory().get("/bench/floor/"))
    assert (response.status_code, response.content) == (200, b"ok")


def test_the_write_floor_adds_an_event_and_keeps_one_current_mark(user):
    question = make_question(key="bench-q")

    assert _post(user, "bench-q", 2).status_code == 200
    assert _post(user, "bench-q", 4).status_code == 200

    assert list(
        ConfidenceEvent.objects.filter(user=user, question=question)
        .order_by("pk")
        .values_list("level", flat=True)
    ) == [2, 4]
    assert ConfidenceMark.objects.get(user=user, question=question).level == 4


def test_the_write_floor_writes_nothing_for_an_anonymous_visitor():
    make_question(key="bench-q")

    assert _post(AnonymousUser(), "bench-q", 3).status_code == 403
    assert not ConfidenceEvent.objects.exists()


def test_the_write_floor_takes_posts_only(user):
    request = RequestFactory().get("/bench/write-floor/bench-q/")
    request.user = user
    assert write_floor(request, "bench-q").status_code == 405


@pytest.mark.urls("bench.urls")
def test_the_benchmark_urls_serve_the_floor_beside_the_site(client):
    response = client.get("/bench/floor/")
    assert (response.status_code, response.content) == (200, b"ok")
    assert client.get("/healthz").status_code == 200


def test_the_site_does_not_mount_the_floors(client):
    assert client.get("/bench/floor/").status_code == 404
    assert client.post("/bench/write-floor/bench-q/", {"level": 3}).status_code == 404
