"""Charts drawn on the server as inline SVG: activity over time, a relation's talks on a
timeline, and ranked horizontal bars.

Pure functions: data in, safe markup out. Every label goes through Django's escaping
(``format_html``/``conditional_escape``), so a name can never become markup, and loses any
directional control it leaves open, so a name cannot reorder the words of a title or
tooltip around it. No JavaScript and no ``style`` attribute: colours come from classes in
``static/css/site.css`` (the Content-Security-Policy allows no inline style); geometry uses
SVG presentation attributes.

Each chart is an ``<svg>`` with a ``<title>`` and a ``<desc>`` named by ``aria-labelledby``;
the page keeps the data as a table or list beside it, for screen readers, copying and
browsers without SVG. Charts whose marks are links are ``role="group"`` rather than
``role="img"``: an image's children are presentational, which would hide its links from
assistive technology (axe-core's *nested-interactive* rule).
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .normalize import strip_unbalanced_bidi

# Geometry, in the SVG's own units; the stylesheet scales each chart to its column.
ACTIVITY_WIDTH, ACTIVITY_HEIGHT = 600, 230
TIMELINE_WIDTH = 600
RANKED_WIDTH = 360
FONT_GAP = 4


def _join(parts: Iterable) -> SafeString:
    """Concatenate markup; plain strings among ``parts`` are escaped."""
    return mark_safe("".join(str(conditional_escape(part)) for part in parts))


def _label(text) -> str:
    """A label as an SVG text or title holds it: plain text, no directional control left open."""
    return strip_unbalanced_bidi(str(text))


def _num(value: float) -> str:
    """A coordinate with at most one decimal, without trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(
    chart_id: str,
    width: float,
    height: float,
    title: str,
    description: str,
    body,
    *,
    kind: str,
    role: str = "img",
) -> SafeString:
    return format_html(
        '<svg class="chart chart-{kind}" id="{id}" role="{role}" viewBox="0 0 {w} {h}" '
        'aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        kind=kind,
        id=chart_id,
        role=role,
        w=_num(width),
        h=_num(height),
        title=_label(title),
        desc=_label(description),
        body=body,
    )


def _month_label(month: datetime.date, period: str) -> str:
    return str(month.year) if period == "year" else date_format(month, "YEAR_MONTH_FORMAT")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


# ---------------------------------------------------------------------------------------
# Activity: articles (and talks) per month, as vertical bars on a continuous time axis.


def _continuous(rows: Sequence[Mapping], period: str) -> list[Mapping]:
    """``rows`` with the empty months (or years) between them filled with zeros."""
    by_start = {row["month"]: row for row in rows}
    first, last = rows[0]["month"], rows[-1]["month"]
    step = 12 if period == "year" else 1
    series, current = [], first
    while current <= last:
        series.append(by_start.get(current, {"month": current, "articles": 0, "talks": 0}))
        current = _add_months(current, step)
    return series


def activity_chart(
    rows: Sequence[Mapping],
    *,
    chart_id: str,
    title: str,
    with_talks: bool = True,
    period: str = "month",
) -> SafeString:
    """Bars of articles (and talks) per period; ``rows`` as ``articles.stats.monthly_activity``
    returns them: ``{"month": date, "articles": int, "talks": int}``, oldest first, months with
    no row drawn empty. ``period`` is ``"month"`` or ``"year"`` (the date is the period's
    first day). Bars scale to the busiest period. Empty ``rows``: no chart."""
    rows = sorted(rows, key=lambda row: row["month"])
    if not rows:
        return mark_safe("")
    series = _continuous(rows, period)
    width, height = ACTIVITY_WIDTH, ACTIVITY_HEIGHT
    left, right, top, bottom = 40, 8, 34, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    keys = ["articles", "talks"] if with_talks else ["articles"]
    peak = max(row[key] for row in series for key in keys) or 1
    slot = plot_w / len(series)
    bar_w = min(slot * (0.42 if with_talks else 0.7), 28)
    baseline = top + plot_h

    parts = []
    # Legend, top left: a swatch and a word for each series.
    legend_x = left
    for key, label in [("articles", _("Articles")), ("talks", _("Talks"))][: len(keys)]:
        parts.append(
            format_html(
                '<rect class="chart-{}" x="{}" y="6" width="12" height="12"></rect>'
                '<text class="chart-label" x="{}" y="16">{}</text>',
                key,
                _num(legend_x),
                _num(legend_x + 16),
                label,
            )
        )
        legend_x += 110
    # Horizontal guides at the peak and half of it, labelled on the left.
    guides = [peak, peak / 2, 0] if peak >= 2 else [peak, 0]
    for value in guides:
        y = baseline - plot_h * value / peak
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"></line>'
                '<text class="chart-axis" x="{tx}" y="{ty}" text-anchor="end">{label}</text>',
                x1=_num(left),
                x2=_num(width - right),
                y=_num(y),
                tx=_num(left - 6),
                ty=_num(y + FONT_GAP),
                label=f"{value:g}" if value == int(value) else f"{value:.1f}",
            )
        )
    parts.append(
        format_html(
            '<line class="chart-axis-line" x1="{}" x2="{}" y1="{y}" y2="{y}"></line>',
            _num(left),
            _num(width - right),
            y=_num(baseline),
        )
    )
    # The bars, one group per period with a tooltip naming its counts.
    labelled_until = -1.0
    for index, row in enumerate(series):
        x0 = left + index * slot + (slot - bar_w * len(keys)) / 2
        bars = []
        for offset, key in enumerate(keys):
            bar_h = plot_h * row[key] / peak
            if row[key] and bar_h < 1.5:
                bar_h = 1.5  # a non-zero count stays visible
            bars.append(
                format_html(
                    '<rect class="chart-bar chart-{}" x="{}" y="{}" width="{}" height="{}"></rect>',
                    key,
                    _num(x0 + offset * bar_w),
                    _num(baseline - bar_h),
                    _num(bar_w),
                    _num(bar_h),
                )
            )
        counts = ngettext("%(count)d article", "%(count)d articles", row["articles"]) % {
            "count": row["articles"]
        }
        if with_talks:
            counts += ", " + ngettext("%(count)d talk", "%(count)d talks", row["talks"]) % {
                "count": row["talks"]
            }
        parts.append(
            format_html(
                "<g><title>{}: {}</title>{}</g>",
                _month_label(row["month"], period),
                counts,
                _join(bars),
            )
        )
        # Axis labels: every year's first period, and the first period of the chart.
        month = row["month"]
        centre = left + (index + 0.5) * slot
        label = None
        if period == "year":
            step = max(1, round(len(series) / 8))
            if index % step == 0:
                label = str(month.year)
        elif month.month == 1 or index == 0:
            label = str(month.year) if month.month == 1 else date_format(month, "M Y")
        if label and centre - 45 > labelled_until:
            parts.append(
                format_html(
                    '<line class="chart-tick" x1="{x}" x2="{x}" y1="{y1}" y2="{y2}"></line>'
                    '<text class="chart-axis" x="{x}" y="{ty}" text-anchor="middle">{}</text>',
                    label,
                    x=_num(centre),
                    y1=_num(baseline),
                    y2=_num(baseline + 4),
                    ty=_num(baseline + 18),
                )
            )
            labelled_until = centre + 45
    total_articles = sum(row["articles"] for row in rows)
    busiest = max(rows, key=lambda row: (row["articles"], row["talks"]))
    summary = {
        "first": _month_label(series[0]["month"], period),
        "last": _month_label(series[-1]["month"], period),
        "articles": total_articles,
        "busiest": _month_label(busiest["month"], period),
        "busiest_articles": busiest["articles"],
    }
    description = (
        ngettext(
            "From %(first)s to %(last)s: %(articles)d article; the busiest period, "
            "%(busiest)s, has %(busiest_articles)d.",
            "From %(first)s to %(last)s: %(articles)d articles; the busiest period, "
            "%(busiest)s, has %(busiest_articles)d.",
            total_articles,
        )
        % summary
    )
    if with_talks:
        talks = sum(row["talks"] for row in rows)
        description += " " + (
            ngettext("%(talks)d talk in all.", "%(talks)d talks in all.", talks) % {"talks": talks}
        )
    return _svg(chart_id, width, height, title, description, _join(parts), kind="activity")


# ---------------------------------------------------------------------------------------
# Timeline: a relation's talks, one lane per kind, each point a link to its talk.


@dataclass(frozen=True)
class TimelinePoint:
    date: datetime.date
    kind: str  # a Talk.Kind value: the CSS class ``kind-<kind>`` colours the point
    kind_label: str
    label: str  # what the point's tooltip and link say
    url: str


# Tick steps in months, the smallest that leaves at most this many intervals.
TICK_STEPS = [1, 2, 3, 6, 12, 24, 60, 120, 240]
MAX_TICKS = 6


def _time_domain(first: datetime.date, last: datetime.date):
    """(start, end, step in months): whole steps around [first, last]."""
    for step in TICK_STEPS:
        index = first.year * 12 + first.month - 1
        start_index = index - index % step
        last_index = last.year * 12 + last.month - 1
        end_index = last_index - last_index % step + step
        if (end_index - start_index) / step <= MAX_TICKS:
            break
    start = datetime.date(start_index // 12, start_index % 12 + 1, 1)
    end = datetime.date(end_index // 12, end_index % 12 + 1, 1)
    return start, end, step


def timeline_chart(
    points: Sequence[TimelinePoint],
    *,
    chart_id: str,
    title: str,
    kinds: Sequence[tuple[str, str]] = (),
) -> SafeString:
    """Talks on a time axis, one lane per kind (in the order of ``kinds``, then as met), each
    point a link to the talk carrying the class ``kind-<kind>``. Each lane is titled with
    its kind and colour above its line: the legend. Empty ``points``: no chart."""
    points = sorted(points, key=lambda point: point.date)
    if not points:
        return mark_safe("")
    order = [kind for kind, _label in kinds]
    labels = dict(kinds)
    for point in points:
        if point.kind not in order:
            order.append(point.kind)
        labels.setdefault(point.kind, point.kind_label)
    lanes = [kind for kind in order if any(point.kind == kind for point in points)]
    width = TIMELINE_WIDTH
    left, right, top, lane_h, bottom = 40, 40, 4, 50, 34
    baseline = top + lane_h * len(lanes) + 8
    height = baseline + bottom
    plot_w = width - left - right
    start, end, step = _time_domain(points[0].date, points[-1].date)
    span = (end - start).days

    def x_of(day: datetime.date) -> float:
        return left + plot_w * (day - start).days / span

    def lane_y(kind: str) -> float:
        return top + lane_h * lanes.index(kind) + 34

    parts = []

    # Vertical guides and dates first, under everything else.
    tick = start
    while tick <= end:
        x = x_of(tick)
        label = str(tick.year) if step % 12 == 0 else date_format(tick, "M Y")
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{x}" x2="{x}" y1="{y1}" y2="{y2}"></line>'
                '<line class="chart-tick" x1="{x}" x2="{x}" y1="{y2}" y2="{y3}"></line>'
                '<text class="chart-axis" x="{x}" y="{ty}" text-anchor="middle">{}</text>',
                label,
                x=_num(x),
                y1=_num(top),
                y2=_num(baseline),
                y3=_num(baseline + 4),
                ty=_num(baseline + 18),
            )
        )
        tick = _add_months(tick, step)
    for kind in lanes:
        y = lane_y(kind)
        parts.append(
            format_html(
                '<g class="chart-legend-item"><line class="chart-lane" x1="{}" x2="{}" y1="{y}"'
                ' y2="{y}"></line><circle class="chart-point kind-{}" cx="{cx}" cy="{ly}" r="6">'
                '</circle><text class="chart-label" x="{tx}" y="{ty}">{}</text></g>',
                _num(left),
                _num(width - right),
                kind,
                capfirst(labels[kind]),
                y=_num(y),
                cx=_num(left + 6),
                ly=_num(y - 23),
                tx=_num(left + 18),
                ty=_num(y - 18),
            )
        )
    parts.append(
        format_html(
            '<line class="chart-axis-line" x1="{}" x2="{}" y1="{y}" y2="{y}"></line>',
            _num(left),
            _num(width - right),
            y=_num(baseline),
        )
    )
    # Points that would overlap in a lane move up or down within it.
    radius, offsets = 6, [0, 10, -10]
    placed: dict[tuple[str, int], float] = {}
    for point in points:
        x = x_of(point.date)
        level = next(
            (
                level
                for level in range(len(offsets))
                if x - placed.get((point.kind, level), -1e9) > 2 * radius + 1
            ),
            0,
        )
        placed[(point.kind, level)] = x
        parts.append(
            format_html(
                '<a href="{url}" aria-label="{label}"><title>{label}</title>'
                '<circle class="chart-point kind-{kind}" cx="{x}" cy="{y}" r="{r}"></circle></a>',
                url=point.url,
                label=_label(point.label),
                kind=point.kind,
                x=_num(x),
                y=_num(lane_y(point.kind) + offsets[level]),
                r=radius,
            )
        )
    counts = ", ".join(
        f"{sum(point.kind == kind for point in points)} × {labels[kind]}" for kind in lanes
    )
    description = ngettext(
        "%(count)d talk from %(first)s to %(last)s: %(counts)s.",
        "%(count)d talks from %(first)s to %(last)s: %(counts)s.",
        len(points),
    ) % {
        "count": len(points),
        "first": date_format(points[0].date, "DATE_FORMAT"),
        "last": date_format(points[-1].date, "DATE_FORMAT"),
        "counts": counts,
    }
    return _svg(
        chart_id, width, height, title, description, _join(parts), kind="timeline", role="group"
    )


# ---------------------------------------------------------------------------------------
# Ranked bars: a name, and a bar as long as its count, each a link.


@dataclass(frozen=True)
class RankedBar:
    label: str
    count: int
    url: str  # where the label leads
    bar_url: str = ""  # where the bar leads; the label's URL when empty
    bar_label: str = ""  # the bar link's accessible name; the label and count when empty


def ranked_bar_chart(
    bars: Sequence[RankedBar], *, chart_id: str, title: str, description: str
) -> SafeString:
    """Horizontal bars, longest first, each label and bar a link; bars scale to the largest
    count. Empty ``bars``: no chart."""
    bars = sorted(bars, key=lambda bar: -bar.count)
    if not bars:
        return mark_safe("")
    width = RANKED_WIDTH
    left, right, row_h = 0, 36, 38
    track = width - left - right
    peak = max(bar.count for bar in bars) or 1
    height = row_h * len(bars) + 4
    parts = []
    for index, bar in enumerate(bars):
        y = index * row_h
        length = max(track * bar.count / peak, 2)
        bar_name = _label(bar.bar_label or f"{bar.label}: {bar.count}")
        parts.append(
            format_html(
                '<a href="{url}"><text class="chart-label chart-link" x="{x}" y="{ty}">{label}'
                "</text></a>"
                '<a href="{bar_url}" aria-label="{bar_name}"><title>{bar_name}</title>'
                '<rect class="chart-bar chart-rank-bar" x="{x}" y="{by}" width="{w}" height="12">'
                '</rect><text class="chart-axis" x="{cx}" y="{cy}">{count}</text></a>',
                url=bar.url,
                label=_label(bar.label),
                bar_url=bar.bar_url or bar.url,
                bar_name=bar_name,
                x=_num(left),
                ty=_num(y + 15),
                by=_num(y + 21),
                w=_num(length),
                cx=_num(left + length + 6),
                cy=_num(y + 32),
                count=bar.count,
            )
        )
    return _svg(
        chart_id, width, height, title, description, _join(parts), kind="ranked", role="group"
    )
