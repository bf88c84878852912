"""The admin of API tokens, in place of knox's own: administrators see whose tokens exist, since
when and until when, and revoke one by deleting it. Nothing of a token can be changed (its digest
least of all); a new token is shown once, in the message after it is created.

Who may: Django's model permissions on knox.AuthToken, which no working role is given
(conflictdb.roles gives out only the base's and the domain apps' permissions), so superusers and
the staff an administrator grants them to.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone
from knox.admin import AuthTokenCreateForm
from knox.models import AuthToken


class TokenAdmin(admin.ModelAdmin):
    list_display = ("token_key", "user", "created", "expiry", "expired")
    list_select_related = ("user",)
    list_filter = ("created", "expiry")
    search_fields = ("token_key", "user__username")
    ordering = ("-created",)
    raw_id_fields = ("user",)
    readonly_fields = ("token_key", "user", "created", "expiry")
    actions = ("revoke",)

    @admin.display(boolean=True)
    def expired(self, token):
        return token.expiry is not None and token.expiry <= timezone.now()

    @admin.action(description="Revoke the selected tokens", permissions=("delete",))
    def revoke(self, request, queryset):
        count, _ = queryset.delete()
        self.message_user(request, f"Revoked {count} token{'s' if count != 1 else ''}.", messages.SUCCESS)

    def get_fields(self, request, obj=None):
        return ("user", "expiry") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AuthTokenCreateForm
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False  # revoke (delete) or let expire; never edit

    def save_model(self, request, obj, form, change):
        if obj.expiry is None:  # every token expires
            obj.expiry = timezone.now() + settings.API_TOKEN_TTL
        super().save_model(request, obj, form, change)
        self.message_user(request, f"The new token, shown only now (copy it): {form.token}", messages.WARNING)


def register():
    if admin.site.is_registered(AuthToken):
        admin.site.unregister(AuthToken)
    admin.site.register(AuthToken, TokenAdmin)
