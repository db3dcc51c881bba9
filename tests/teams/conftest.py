"""Fixtures shared by the team dashboard and CSV tests."""

import pytest
from django.test import Client

from tests.teams.factories import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def instructor_client(world) -> Client:
    client = Client()
    client.force_login(world.instructor)
    return client
