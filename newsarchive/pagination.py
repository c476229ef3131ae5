"""Pagination shared by every list page: clamped page size, forgiving page numbers."""

from django.conf import settings
from django.core.paginator import Paginator

PAGE_SIZES = (10, 20, 50, 100)
# Matched as text: str.isdigit() also accepts "²" and 5,000-digit numbers, which int() refuses.
PAGE_SIZE_VALUES = {str(size): size for size in PAGE_SIZES}


def paginate(request, queryset, per_page: int | None = None):
    """Return the requested page of ``queryset``; odd page numbers land on a real page."""
    default = per_page or settings.ARCHIVE_PAGE_SIZE
    size = PAGE_SIZE_VALUES.get(request.GET.get("per_page", ""), default)
    return Paginator(queryset, size).get_page(request.GET.get("page"))
