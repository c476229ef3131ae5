"""Counts over time that the pages draw as charts (``articles/charts.py``)."""

import datetime

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from .charts import activity_chart

# A chart shows months while its data spans at most this many, years beyond.
ACTIVITY_MONTHS = 36


def monthly_activity(articles, talks=None, *, last_months=None):
    """[{month, articles, talks}] for the months with any, oldest first; with ``last_months``,
    only those of the ``last_months`` months that end with the latest month with any."""
    counts = {}
    for row in (
        articles.exclude(published_on=None)
        .order_by()
        .annotate(month=TruncMonth("published_on"))
        .values("month")
        .annotate(count=Count("pk"))
    ):
        counts.setdefault(_as_date(row["month"]), [0, 0])[0] = row["count"]
    if talks is not None:
        for row in (
            talks.order_by()
            .annotate(month=TruncMonth("date"))
            .values("month")
            .annotate(count=Count("pk"))
        ):
            counts.setdefault(_as_date(row["month"]), [0, 0])[1] = row["count"]
    if last_months and counts:
        latest = max(counts)
        index = latest.year * 12 + latest.month - last_months
        first = datetime.date(index // 12, index % 12 + 1, 1)
        counts = {month: pair for month, pair in counts.items() if month >= first}
    return [
        {"month": month, "articles": pair[0], "talks": pair[1]}
        for month, pair in sorted(counts.items())
    ]


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def by_year(rows):
    """``monthly_activity`` rows summed per year, each dated on the 1st of January."""
    years = {}
    for row in rows:
        pair = years.setdefault(datetime.date(row["month"].year, 1, 1), [0, 0])
        pair[0] += row["articles"]
        pair[1] += row["talks"]
    return [
        {"month": year, "articles": pair[0], "talks": pair[1]}
        for year, pair in sorted(years.items())
    ]


def activity_context(articles, talks=None, *, last_months=None, chart_id="activity"):
    """The context of ``partials/activity.html``: the rows (by month, or by year when they
    span more than ``ACTIVITY_MONTHS`` months), their period and their chart."""
    rows = monthly_activity(articles, talks, last_months=last_months)
    period = "month"
    if rows:
        first, last = rows[0]["month"], rows[-1]["month"]
        if (last.year - first.year) * 12 + last.month - first.month >= ACTIVITY_MONTHS:
            rows, period = by_year(rows), "year"
    title = (
        _("Articles and talks per month")
        if talks is not None and period == "month"
        else _("Articles per month")
        if period == "month"
        else _("Articles and talks per year")
        if talks is not None
        else _("Articles per year")
    )
    return {
        "activity": rows,
        "activity_period": period,
        "with_talks": talks is not None,
        "activity_chart": activity_chart(
            rows, chart_id=chart_id, title=title, with_talks=talks is not None, period=period
        ),
        "activity_title": title,
    }
