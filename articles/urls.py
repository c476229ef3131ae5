from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:pk>/", views.article_detail, name="detail-short"),
    path("articles/<int:pk>/<str:slug>/", views.article_detail, name="detail"),
]
