"""The load test (bench/locustfile.py) requests URLs that exist, so a changed route cannot
silently rot it. The file is read, not imported: importing locust patches the process
with gevent."""

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import resolve, reverse

LOCUSTFILE = Path(__file__).resolve().parents[2] / "bench" / "locustfile.py"
TREE = ast.parse(LOCUSTFILE.read_text())
SAMPLE = {"key": "cnn-10", "slug": "deployment", "id": 7}


def _module_value(name: str) -> Any:
    for node in TREE.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            value = node.value
            if isinstance(value, ast.Call):  # re.compile("…")
                return re.compile(ast.literal_eval(value.args[0]))
            return ast.literal_eval(value)
    raise AssertionError(f"bench/locustfile.py has no {name}")


ROUTES = _module_value("ROUTES")
assert isinstance(ROUTES, dict)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_route_resolves_to_its_view(route):
    template, view_name = ROUTES[route]
    fields = {name: SAMPLE[name] for name in re.findall(r"\{(\w+)\}", template)}
    path = template.format(**fields)
    # bench/urls.py: the site's URLs plus the write floor, as the load test is served.
    match = resolve(path, urlconf="bench.urls")
    assert match.view_name == view_name
    assert reverse(view_name, kwargs=match.kwargs, urlconf="bench.urls") == path


def test_every_route_the_file_names_is_in_routes():
    """Requests go through ROUTES by name: self.page("…"), self.htmx("…"), ROUTES["…"],
    _name("…"), and the users' `route = "…"`."""
    named = set()
    for node in ast.walk(TREE):
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            called = getattr(function, "attr", getattr(function, "id", ""))
            first = node.args[0]
            if called in {"page", "htmx", "_name"} and isinstance(first, ast.Constant):
                named.add(first.value)
        elif isinstance(node, ast.Subscript) and getattr(node.value, "id", "") == "ROUTES":
            if isinstance(node.slice, ast.Constant):
                named.add(node.slice.value)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "route" for t in node.targets
        ):
            named.add(ast.literal_eval(node.value))
    assert named, "no requests found: the file changed shape, so this test must too"
    assert named <= set(ROUTES), named - set(ROUTES)


def test_link_patterns_match_the_site_urls():
    """The links the users follow are found in pages by these patterns."""
    topic = reverse("progress:topic_detail", kwargs={"slug": "deployment"})
    question = reverse("progress:question_detail", kwargs={"key": "cnn-10"})
    team = reverse("teams:team_detail", kwargs={"team_id": 7})
    assert _module_value("_TOPIC_LINK").findall(f'<a href="{topic}">') == ["deployment"]
    pattern = _module_value("_QUESTION_LINK")
    assert pattern.findall(f'<a href="{question}">') == ["cnn-10"]
    assert pattern.findall(f'<a href="{question}?topic=deployment">') == ["cnn-10"]
    assert _module_value("_TEAM_LINK").findall(f'<a href="{team}">') == ["7"]


def test_mark_name_is_the_mark_route():
    path = re.sub(r"\{(\w+)\}", r"[\1]", ROUTES["mark"][0])
    assert _module_value("MARK_NAME") == f"POST {path}"
