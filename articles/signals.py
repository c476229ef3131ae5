"""Keep ``updated_at`` of an article, actor or talk current when the rows that hang on it change.

Downstream copies sync with ``?modified_since=``: a confirmed link, a new quote or
a new report is a change of the article (and talk) it belongs to.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from actors.models import Actor, Alias, Role, Talk, TalkParticipant, TalkReport, TalkTopic

from .models import Article, ArticleActor, Quote

PARENTS = {
    ArticleActor: [(Article, "article_id")],
    Quote: [(Article, "article_id")],
    TalkReport: [(Article, "article_id"), (Talk, "talk_id")],
    TalkParticipant: [(Talk, "talk_id")],
    TalkTopic: [(Talk, "talk_id")],
    Alias: [(Actor, "actor_id")],
    Role: [(Actor, "person_id")],
}


def touch_parents(sender, instance, raw=False, **kwargs):
    if raw:
        return
    now = timezone.now()
    for model, attribute in PARENTS[sender]:
        model.objects.filter(pk=getattr(instance, attribute)).update(updated_at=now)


for child in PARENTS:
    post_save.connect(touch_parents, sender=child, dispatch_uid=f"touch-{child.__name__}")
    post_delete.connect(touch_parents, sender=child, dispatch_uid=f"touch-del-{child.__name__}")


@receiver(m2m_changed, sender=Article.topics.through)
def touch_article_on_topics(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    articles = pk_set if reverse else {instance.pk}
    if reverse and action == "post_clear":
        return
    Article.objects.filter(pk__in=articles or ()).update(updated_at=timezone.now())
