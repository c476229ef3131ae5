"""Small builders for test records; the curated seeds provide the actors."""

import itertools

from actors.models import Actor
from articles.models import Article, ArticleActor, PublicationStatus

_numbers = itertools.count(1)


def make_article(**fields) -> Article:
    number = next(_numbers)
    values = {
        "title": f"Test article {number}",
        "body": f"Paragraph one of article {number}.\n\nParagraph two.",
        "language": "en",
        "status": PublicationStatus.PUBLISHED,
    }
    values.update(fields)
    return Article.objects.create(**values)


def link(article: Article, slug: str, role=ArticleActor.Role.MENTIONED, **fields) -> ArticleActor:
    return ArticleActor.objects.create(
        article=article, actor=Actor.objects.get(slug=slug), role=role, **fields
    )
