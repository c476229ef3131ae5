"""URLs of the public, read-only JSON API, mounted at ``/api/``. See docs/api.md."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter

from actors.api import ActorViewSet, PublicReadOnlyViewSet, TalkViewSet
from articles.api import ArticleViewSet, OutletViewSet, TopicViewSet


class ApiRootView(DefaultRouter.APIRootView):
    """The list of the API's endpoints, public and read-only like them."""

    authentication_classes = PublicReadOnlyViewSet.authentication_classes
    permission_classes = PublicReadOnlyViewSet.permission_classes


class ApiRouter(DefaultRouter):
    APIRootView = ApiRootView
    include_format_suffixes = False


def not_found(request):
    """The API's own 404 for a path no route takes, such as ``/api/articles/abc/``.

    Without it Django's HTML error page would answer, where the schema promises JSON.
    """
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)


router = ApiRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("actors", ActorViewSet, basename="actor")
router.register("talks", TalkViewSet, basename="talk")
router.register("topics", TopicViewSet, basename="topic")
router.register("outlets", OutletViewSet, basename="outlet")

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include(router.urls)),
    # Only paths that end with a slash: /api/articles still redirects to /api/articles/.
    re_path(r"^.*/$", not_found),
]
