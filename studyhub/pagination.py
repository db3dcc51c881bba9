"""Lists in pages: every list that grows with the bank or a team is shown a page at a
time, so a page costs the same with 50 questions or 5,000 (docs/performance.md).

`paginate` reads `?page=` (a missing, malformed or below-one number is the first page,
one past the end the last), counts the rows exactly and builds the links of `templates/_pager.html`,
which keep every other parameter of the query string. Lists must be ordered on a unique
key, so that a row never shows on two pages or on none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

#: Rows a page shows unless a list says otherwise: the whole seed bank fits on one.
PER_PAGE = 50


class CountedPaginator(Paginator):
    """A paginator told its number of rows (another query of the page counted them), so
    it never runs a COUNT query of its own."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@dataclass(frozen=True)
class Pager:
    """One page of a list and the links around it."""

    page: Page
    #: What the list holds, in the plural ("questions"), for "51–100 of 6,050 questions".
    noun: str
    first_url: str
    previous_url: str
    next_url: str
    last_url: str

    @property
    def rows(self) -> Any:
        """The page's rows (a sliced queryset, or a slice of the list given)."""
        return self.page.object_list

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def several(self) -> bool:
        """Whether there is more than one page, so the links are worth showing."""
        return self.page.paginator.num_pages > 1


def page_number(request: HttpRequest) -> int:
    """The page asked for: a missing, malformed or below-one number is the first."""
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return max(number, 1)


def page_url(request: HttpRequest, number: int, *, path: str = "") -> str:
    """This request's URL (or `path`) with every parameter kept and `page` set."""
    params = request.GET.copy()
    params.pop("page", None)
    if number > 1:
        params["page"] = str(number)
    query = params.urlencode()
    return (path or request.path) + (f"?{query}" if query else "")


def paginate(
    request: HttpRequest,
    object_list: QuerySet[Any] | Sequence[Any],
    *,
    noun: str,
    per_page: int = PER_PAGE,
    count: int | None = None,
    path: str = "",
) -> Pager:
    """The page of `object_list` the request asks for. `count`, when another query of the
    page already counted the rows, saves the COUNT query; `path` is where the links
    point when it is not the request's own path (a fragment's URL, say)."""
    if isinstance(object_list, QuerySet) and not object_list.ordered:
        raise ValueError("paginate an ordered queryset, or rows may repeat across pages")
    paginator: Paginator
    if count is None:
        paginator = Paginator(object_list, per_page)
    else:
        paginator = CountedPaginator(object_list, per_page, count=count)  # type: ignore[arg-type]
    page = paginator.get_page(page_number(request))
    last = paginator.num_pages

    def url(number: int) -> str:
        return page_url(request, number, path=path)

    return Pager(
        page=page,
        noun=noun,
        first_url=url(1) if page.number > 1 else "",
        previous_url=url(page.number - 1) if page.has_previous() else "",
        next_url=url(page.number + 1) if page.has_next() else "",
        last_url=url(last) if page.number < last else "",
    )
