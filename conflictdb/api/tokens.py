"""API tokens for scripts (django-rest-knox): obtain with a username and password, list, revoke.

The database keeps a SHA-512 digest of each token and its first characters (`token_key`, to find
the row), never the token itself: the token is shown once, in the answer that creates it. Every
token expires (settings.API_TOKEN_TTL). Obtaining a token is a login like the admin's, so the
brute-force limits (conflictdb.logins, django-axes) count its failures and refuse it when locked
out, as a 429 with Retry-After.
"""

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from knox import views as knox_views
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import APIException, Throttled, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from conflictdb import logins


RENDERERS = (JSONRenderer, BrowsableAPIRenderer)  # no CSV of secrets
TOKEN_AUTH = (TokenAuthentication,)
TOKEN_OR_SESSION_AUTH = (TokenAuthentication, SessionAuthentication)


class LoginLockedOut(Throttled):
    """429 with the lockout sentence (which says how long) and Retry-After in seconds."""

    def __init__(self):
        APIException.__init__(self, logins.lockout_message(), "locked_out")
        self.wait = logins.retry_after_seconds()


NEW_TOKEN = inline_serializer("NewToken", {
    "token": serializers.CharField(help_text="The token. Shown only in this answer: keep it."),
    "expiry": serializers.DateTimeField(help_text="When the token stops working."),
})


class ObtainTokenView(knox_views.LoginView):
    """POST a username and password (form or JSON); get a new token, shown once."""

    renderer_classes = RENDERERS
    authentication_classes = ()  # the credentials are in the body, never a session or a token
    permission_classes = (AllowAny,)

    @extend_schema(request=AuthTokenSerializer, responses={200: NEW_TOKEN}, auth=[],
                   summary="Exchange a username and password for a new token")
    def post(self, request, format=None):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # Axes marks the request it refused (or the failure that reached the limit).
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut() from None
            raise
        request.user = serializer.validated_data["user"]  # for this request only: no session
        return super().post(request, format=format)


class RevokeThisTokenView(knox_views.LogoutView):
    """Revoke the token this request is authenticated with."""

    renderer_classes = RENDERERS
    authentication_classes = TOKEN_AUTH

    @extend_schema(request=None, responses={204: None}, summary="Revoke the token of this request")
    def post(self, request, format=None):
        return super().post(request, format=format)


class RevokeAllTokensView(knox_views.LogoutAllView):
    """Revoke every token of the requesting user (also from a browser session)."""

    renderer_classes = RENDERERS
    authentication_classes = TOKEN_OR_SESSION_AUTH

    @extend_schema(request=None, responses={204: None}, summary="Revoke all of your tokens")
    def post(self, request, format=None):
        return super().post(request, format=format)


class TokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="Whether this request uses this token.")

    class Meta:
        model = AuthToken
        fields = ["token_key", "created", "expiry", "current"]
        extra_kwargs = {"token_key": {"help_text": "The token's first characters, to recognise it; "
                                                   "the token itself is not kept."}}

    def get_current(self, token) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, AuthToken) and auth.pk == token.pk


class MyTokensView(ListAPIView):
    """Your tokens that have not expired: their first characters, creation and expiry (never the
    token itself, which is not kept)."""

    serializer_class = TokenSerializer
    renderer_classes = RENDERERS
    authentication_classes = TOKEN_OR_SESSION_AUTH
    permission_classes = (IsAuthenticated,)
    pagination_class = None
    filter_backends = ()

    def get_queryset(self):
        return (AuthToken.objects.filter(user=self.request.user)
                .filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())).order_by("-created"))
