"""Counts over time that the pages draw as charts (``articles/charts.py``)."""

import datetime

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, Max, Value
from django.db.models.functions import TruncMonth
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .caching import cached
from .charts import activity_chart

# A chart shows months while its data spans at most this many, years beyond.
ACTIVITY_MONTHS = 36


def monthly_activity(articles, talks=None, *, last_months=None):
    """[{month, articles, talks}] for the months with any, oldest first; with ``last_months``,
    only those of the ``last_months`` months that end with the latest month with any (and
    only their rows are read).

    Articles and talks are read together: one query for the window's end, one for the
    counts (a page's queries are bounded, and each is a round trip)."""
    articles = articles.exclude(published_on=None).order_by()
    talks = talks.order_by() if talks is not None else None
    if last_months:
        # Only the rows of the window are read: its end comes from the date indexes.
        ends = [_latest(articles, "published_on")]
        if talks is not None:
            ends.append(_latest(talks, "date"))
        latest = [row["latest"] for row in _together(ends)]
        if not any(latest):
            return []
        end = max(day for day in latest if day)
        index = end.year * 12 + end.month - last_months
        first = datetime.date(index // 12, index % 12 + 1, 1)
        articles = articles.filter(published_on__gte=first)
        talks = talks.filter(date__gte=first) if talks is not None else None
    series = [_per_month(articles, "published_on", ARTICLES)]
    if talks is not None:
        series.append(_per_month(talks, "date", TALKS))
    counts = {}
    for row in _together(series):
        counts.setdefault(_as_date(row["month"]), [0, 0])[row["series"]] = row["count"]
    return [
        {"month": month, "articles": pair[0], "talks": pair[1]}
        for month, pair in sorted(counts.items())
    ]


ARTICLES, TALKS = 0, 1


def _latest(queryset, field):
    # One row, with no GROUP BY: aggregate() would run at once, and it cannot be UNIONed.
    return queryset.values(whole=Value(0)).annotate(latest=Max(field)).values("latest")


def _per_month(queryset, field, series):
    return (
        queryset.annotate(month=TruncMonth(field))
        .values("month")
        .annotate(count=Count("pk"), series=Value(series))
    )


def _together(querysets):
    """The rows of all ``querysets`` (of the same columns) in one query."""
    first, *others = querysets
    return first.union(*others, all=True) if others else first


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
    span more than ``ACTIVITY_MONTHS`` months), their period and their chart.

    Counted and drawn once per archive version and language for each pair of sets (told
    apart by their SQL): a chart over a whole archive is far too slow for every request."""
    return cached(
        "activity",
        (
            _sql_of(articles),
            talks is not None and _sql_of(talks),
            last_months,
            chart_id,
            get_language(),
        ),
        lambda: _draw_activity(articles, talks, last_months, chart_id),
        stale_ok=True,
    )


def _sql_of(queryset):
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:  # a filter nothing can match, such as pk__in=[]
        return None


def _draw_activity(articles, talks, last_months, chart_id):
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
