from django.urls import path

from . import feeds, views

app_name = "actors"

urlpatterns = [
    path("actors/", views.actor_list, name="list"),
    path("actors/export.csv", views.actor_csv, name="csv"),
    path("actors/<slug:slug>/", views.actor_detail, name="detail"),
    path("actors/<slug:slug>/feed/", feeds.ActorFeed(), name="feed"),
    path("talks/", views.talk_list, name="talks"),
    path("talks/export.csv", views.talk_csv, name="talks-csv"),
    path("talks/cameo.csv", views.talk_cameo_csv, name="talks-cameo"),
    path("talks/<int:pk>/", views.talk_detail, name="talk"),
    path(
        "relations/<slug:state_slug>/<slug:other_slug>/",
        views.relation_detail,
        name="relation",
    ),
]
