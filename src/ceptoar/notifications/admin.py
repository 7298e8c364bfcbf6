"""Read-only: the rows are written by the services; the admin shows what was sent and what failed."""

from django.contrib import admin

from ceptoar.notifications.models import Notification, NotificationMail


@admin.register(NotificationMail)
class NotificationMailAdmin(admin.ModelAdmin):
    list_display = ("address", "subject", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("address", "subject")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "event", "title", "created_at", "read_at")
    list_filter = ("event",)
    raw_id_fields = ("user", "mail")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
