"""Pagination shared by every list page and the API: clamped page size, forgiving page
numbers, and a count that stops at ``COUNT_CAP``.

An exact ``COUNT(*)`` reads every matching row: on a million articles that is most of a
list page's time, on every page, for a number nobody needs to the unit. So the count stops
at ``COUNT_CAP`` rows ("10,000 or more articles") and only the pages within those rows can
be reached: a deep page never costs more than skipping ``COUNT_CAP`` rows. Older articles
are reached by narrowing the filters or sorting oldest first (docs/browse.md).
"""

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from articles.caching import cached

PAGE_SIZES = (10, 20, 50, 100)
# Matched as text: str.isdigit() also accepts "²" and 5,000-digit numbers, which int() refuses.
PAGE_SIZE_VALUES = {str(size): size for size in PAGE_SIZES}

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator that counts at most ``count_cap`` items and pages only through those.

    ``count`` is exact below the cap; at the cap, ``count_is_capped`` is true and the
    set holds ``count`` items or more. Counts of querysets are cached until the archive
    changes: paging through a list counts it once.
    """

    count_cap = COUNT_CAP

    def __init__(self, object_list, per_page, *args, count_cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        if count_cap:
            self.count_cap = count_cap

    @cached_property
    def count(self):
        items = self.object_list
        if not hasattr(items, "order_by"):
            return min(len(items), self.count_cap)
        # Without ordering, PostgreSQL stops at the first rows it finds; with the key alone,
        # it computes no annotation (such as a search rank) to count them.
        capped = items.order_by().values("pk")[: self.count_cap]
        try:
            sql = str(capped.query)
        except EmptyResultSet:  # .none(), or a filter that nothing can match
            return 0
        return cached("list-count", sql, capped.count)

    @property
    def count_is_capped(self) -> bool:
        return self.count >= self.count_cap


def paginate(request, queryset, per_page: int | None = None, count_cap: int | None = None):
    """Return the requested page of ``queryset``; odd page numbers land on a real page."""
    default = per_page or settings.ARCHIVE_PAGE_SIZE
    size = PAGE_SIZE_VALUES.get(request.GET.get("per_page", ""), default)
    paginator = CappedPaginator(queryset, size, count_cap=count_cap)
    return paginator.get_page(request.GET.get("page"))
