"""Counts over time that the pages draw as bars."""

from django.db.models import Count
from django.db.models.functions import TruncMonth


def monthly_activity(articles, talks=None):
    """[(month, articles, talks)] for the months with any, oldest first, with bar widths."""
    counts = {}
    for row in (
        articles.exclude(published_on=None)
        .order_by()
        .annotate(month=TruncMonth("published_on"))
        .values("month")
        .annotate(count=Count("pk"))
    ):
        counts.setdefault(row["month"], [0, 0])[0] = row["count"]
    if talks is not None:
        for row in (
            talks.order_by()
            .annotate(month=TruncMonth("date"))
            .values("month")
            .annotate(count=Count("pk"))
        ):
            counts.setdefault(row["month"], [0, 0])[1] = row["count"]
    peak = max((max(pair) for pair in counts.values()), default=0) or 1
    return [
        {
            "month": month,
            "articles": pair[0],
            "talks": pair[1],
            # Widths in steps of 5%, drawn by CSS classes (no inline styles).
            "articles_width": 5 * round(20 * pair[0] / peak),
            "talks_width": 5 * round(20 * pair[1] / peak),
        }
        for month, pair in sorted(counts.items())
    ]
