from django.urls import path

from . import feeds, views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/", views.article_list, name="list"),
    path("articles/export.csv", views.article_csv, name="csv"),
    path("articles/feed/rss/", feeds.ArticleRssFeed(), name="feed-rss"),
    path("articles/feed/atom/", feeds.ArticleAtomFeed(), name="feed-atom"),
    path("articles/<int:pk>/", views.article_detail, name="detail-short"),
    path("articles/<int:pk>/<str:slug>/", views.article_detail, name="detail"),
    path("changes/", views.change_log, name="changes"),
    path("changes/feed/", feeds.ChangeFeed(), name="changes-feed"),
    path("topics/", views.topic_list, name="topics"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
]
