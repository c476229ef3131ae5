"""Changing the publication status of curated records, with history."""

from django.contrib import messages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext
from simple_history.utils import bulk_update_with_history

from .caching import archive_changed


def set_status(model_admin, request, queryset, status: str) -> int:
    """Set ``status`` on every selected record that differs; record who did it in history.

    Return the number of records changed.
    """
    now = timezone.now()
    changed = [obj for obj in queryset if obj.status != status]
    for obj in changed:
        obj.status = status
        obj.updated_at = now
    with transaction.atomic():
        bulk_update_with_history(
            changed,
            queryset.model,
            ["status", "updated_at"],
            default_user=request.user,
            default_change_reason=f"Status set to {status}",
            batch_size=500,
        )
        archive_changed()  # bulk_update sends no post_save
    label = queryset.model._meta.get_field("status").flatchoices
    status_label = dict(label)[status]
    model_admin.message_user(
        request,
        ngettext(
            "%(count)d record is now %(status)s.",
            "%(count)d records are now %(status)s.",
            len(changed),
        )
        % {"count": len(changed), "status": status_label},
        messages.SUCCESS,
    )
    return len(changed)
