"""Pagination shared by every list page: clamped page size, forgiving page numbers."""

from django.conf import settings
from django.core.paginator import Paginator

PAGE_SIZES = (10, 20, 50, 100)


def paginate(request, queryset, per_page: int | None = None):
    """Return the requested page of ``queryset``; odd page numbers land on a real page."""
    size = per_page or settings.ARCHIVE_PAGE_SIZE
    requested = request.GET.get("per_page", "")
    if requested.isdigit() and int(requested) in PAGE_SIZES:
        size = int(requested)
    return Paginator(queryset, size).get_page(request.GET.get("page"))
