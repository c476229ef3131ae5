"""The public change log: corrections to published records, newest first.

Built from the history that django-simple-history keeps of every curated record.
Only changes to records the public can see are listed (published articles and
talks, every actor), with the names of the fields that changed; who made a
change stays in the admin.
"""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from actors.models import Actor, Talk

from .models import Article

# Bookkeeping that changes with every save and says nothing to a reader.
IGNORED_FIELDS = {"updated_at", "created_at", "canonical_url", "content_hash", "search_vector"}


@dataclass
class Change:
    when: datetime.datetime
    record: object
    label: str
    fields: list[str]
    reason: str

    @property
    def url(self):
        return self.record.get_absolute_url()


def tracked_fields(model) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in IGNORED_FIELDS and not field.primary_key
    ]


def sources():
    """(label, model, queryset of the records the public may see) for each kind of record."""
    return [
        (_("article"), Article, Article.objects.published()),
        (_("talk"), Talk, Talk.objects.published()),
        (_("actor"), Actor, Actor.objects.all()),
    ]


def public_changes(limit: int = 50, before: datetime.datetime | None = None) -> list[Change]:
    """Return the latest ``limit`` corrections before ``before``, across every public record."""
    changes = []
    for label, model, public in sources():
        rows = model.history.filter(history_type="~", id__in=public.values("pk"))
        if before:
            rows = rows.filter(history_date__lt=before)
        rows = list(rows.order_by("-history_date")[:limit])
        if not rows:
            continue
        fields = tracked_fields(model)
        earlier = {}
        for row in model.history.filter(
            id__in={row.id for row in rows}, history_date__lt=rows[0].history_date
        ).order_by("id", "history_date"):
            earlier.setdefault(row.id, []).append(row)
        records = public.in_bulk({row.id for row in rows})
        for row in rows:
            previous = [r for r in earlier.get(row.id, []) if r.history_date < row.history_date]
            before_row = previous[-1] if previous else None
            changed = [
                str(field.verbose_name)
                for field in fields
                if before_row is None
                or getattr(row, field.attname) != getattr(before_row, field.attname)
            ]
            if row.id in records and changed:
                changes.append(
                    Change(
                        row.history_date,
                        records[row.id],
                        str(label),
                        changed,
                        row.history_change_reason or "",
                    )
                )
    changes.sort(key=lambda change: change.when, reverse=True)
    return changes[:limit]
