from django.urls import path

from . import views

app_name = "actors"

urlpatterns = [
    path("actors/<slug:slug>/", views.actor_detail, name="detail"),
    path("talks/<int:pk>/", views.talk_detail, name="talk"),
]
