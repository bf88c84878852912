"""The events app's API routes, mounted under /api/ by the project urls (conflictdb.urls)."""

from django.urls import path

from events.api import places, views

# (URL prefix, viewset), registered on the project's /api/v1/ router.
routes = [
    ("actors", views.ActorViewSet),
    ("actor-aliases", views.ActorAliasViewSet),
    ("actor-memberships", views.ActorMembershipViewSet),
    ("source-affiliations", views.SourceAffiliationViewSet),
    ("locations", views.LocationViewSet),
    ("location-aliases", views.LocationAliasViewSet),
    ("equipment-types", views.EquipmentTypeViewSet),
    ("equipment-type-aliases", views.EquipmentTypeAliasViewSet),
    ("events", views.EventViewSet),
    ("event-locations", views.EventLocationViewSet),
    ("event-actors", views.EventActorViewSet),
    ("claims", views.ClaimViewSet),
    ("claim-excerpts", views.ClaimExcerptViewSet),
    ("claim-inclusions", views.ClaimInclusionViewSet),
    ("casualty-figures", views.CasualtyFigureViewSet),
    ("casualties", views.CasualtyViewSet),
    ("equipment-losses", views.EquipmentLossViewSet),
    ("territorial-changes", views.TerritorialChangeViewSet),
    ("attacks", views.AttackViewSet),
    ("displacements", views.DisplacementViewSet),
    ("displacement-places", views.DisplacementPlaceViewSet),
]

# Paths besides the router's, placed before it: its detail routes would otherwise take
# "resolve" for an id.
urlpatterns = [
    path("v1/locations/resolve/", places.ResolveView.as_view(), name="location-resolve"),
    path("v1/locations/<int:pk>/control/", places.ControlView.as_view(), name="location-control"),
    path("v1/territorial-changes/changed-hands/", places.ChangedHandsView.as_view(), name="changed-hands"),
    path("v1/aggregates/casualties/", views.CasualtyAggregateView.as_view(), name="aggregate-casualties"),
    path("v1/aggregates/equipment/", views.EquipmentAggregateView.as_view(), name="aggregate-equipment"),
    path("v1/consensus-figures/", views.ConsensusFigureListView.as_view(), name="consensus-figures"),
]
