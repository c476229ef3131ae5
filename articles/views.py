from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from actors.models import Talk

from .models import Article


def home(request):
    articles = Article.objects.published().select_related("outlet")
    page = Paginator(articles, settings.ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    talks = Talk.objects.published().select_related("state_a", "state_b")[:10]
    return render(request, "articles/home.html", {"page": page, "talks": talks})


def article_detail(request, pk, slug=None):
    article = get_object_or_404(
        Article.objects.visible_to(request.user).select_related("outlet"), pk=pk
    )
    if slug != article.slug:
        return redirect(article, permanent=True)
    context = {
        "article": article,
        "entity_groups": article.entity_groups(),
        "topics": article.topics.all(),
        "talks": article.talks.visible_to(request.user).select_related("state_a", "state_b"),
        "quotes": article.quotes.select_related("speaker"),
    }
    return render(request, "articles/article_detail.html", context)
