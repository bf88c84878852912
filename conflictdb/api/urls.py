"""/api/v1/: one route per model, plus the schema and its offline docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from events.api import places as place_views
from events.api import views as event_views
from sources.api import views as source_views

router = DefaultRouter()
router.register("sources", source_views.SourceViewSet)
router.register("source-aliases", source_views.SourceAliasViewSet)
router.register("documents", source_views.DocumentViewSet)
router.register("excerpts", source_views.ExcerptViewSet)
router.register("actors", event_views.ActorViewSet)
router.register("actor-aliases", event_views.ActorAliasViewSet)
router.register("actor-memberships", event_views.ActorMembershipViewSet)
router.register("source-affiliations", event_views.SourceAffiliationViewSet)
router.register("locations", event_views.LocationViewSet)
router.register("location-aliases", event_views.LocationAliasViewSet)
router.register("equipment-types", event_views.EquipmentTypeViewSet)
router.register("equipment-type-aliases", event_views.EquipmentTypeAliasViewSet)
router.register("events", event_views.EventViewSet)
router.register("event-locations", event_views.EventLocationViewSet)
router.register("event-actors", event_views.EventActorViewSet)
router.register("claims", event_views.ClaimViewSet)
router.register("claim-excerpts", event_views.ClaimExcerptViewSet)
router.register("casualty-figures", event_views.CasualtyFigureViewSet)
router.register("casualties", event_views.CasualtyViewSet)
router.register("equipment-losses", event_views.EquipmentLossViewSet)
router.register("territorial-changes", event_views.TerritorialChangeViewSet)
router.register("attacks", event_views.AttackViewSet)
router.register("displacements", event_views.DisplacementViewSet)
router.register("displacement-places", event_views.DisplacementPlaceViewSet)

urlpatterns = [
    # Before the router, whose detail routes would otherwise take "resolve" for an id.
    path("v1/locations/resolve/", place_views.ResolveView.as_view(), name="location-resolve"),
    path("v1/locations/<int:pk>/control/", place_views.ControlView.as_view(), name="location-control"),
    path("v1/territorial-changes/changed-hands/", place_views.ChangedHandsView.as_view(), name="changed-hands"),
    path("v1/aggregates/casualties/", event_views.CasualtyAggregateView.as_view(), name="aggregate-casualties"),
    path("v1/aggregates/equipment/", event_views.EquipmentAggregateView.as_view(), name="aggregate-equipment"),
    path("v1/consensus-figures/", event_views.ConsensusFigureListView.as_view(), name="consensus-figures"),
    path("v1/", include(router.urls)),
    path("token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
