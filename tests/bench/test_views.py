"""The benchmark's reference views (bench/views.py, mounted by bench/settings.py only):
the write floor's raw SQL must keep working on both databases as the schema changes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from bench.views import floor, write_floor
from progress.models import ConfidenceEvent, ConfidenceMark
from tests.factories import make_question

pytestmark = pytest.mark.django_db

#: The benchmark's URLconf, where the floors are named; the site's own has no such names.
BENCH_URLS = "bench.urls"
FLOOR = reverse("bench_floor", urlconf=BENCH_URLS)


def write_floor_url(key: str) -> str:
    return reverse("bench_write_floor", urlconf=BENCH_URLS, args=[key])


def _post(user, key: str, level: int):
    request = RequestFactory().post(write_floor_url(key), {"level": level})
    request.user = user
    return write_floor(request, key)


def test_the_floor_answers_ok():
    response = floor(RequestFactory().get(FLOOR))
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
    request = RequestFactory().get(write_floor_url("bench-q"))
    request.user = user
    assert write_floor(request, "bench-q").status_code == 405


@pytest.mark.urls("bench.urls")
def test_the_benchmark_urls_serve_the_floor_beside_the_site(client):
    response = client.get(FLOOR)
    assert (response.status_code, response.content) == (200, b"ok")
    assert client.get(reverse("healthz")).status_code == 200


def test_the_site_does_not_mount_the_floors(client):
    assert client.get(FLOOR).status_code == 404
    assert client.post(write_floor_url("bench-q"), {"level": 3}).status_code == 404
