"""Moderation in the Django admin: posts and the participants who own names."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from .models import Participant, Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "excerpt", "created_at", "is_hidden"]
    list_filter = ["is_hidden", "created_at"]
    search_fields = ["content", "author__username"]
    date_hierarchy = "created_at"
    list_select_related = ["author"]
    readonly_fields = ["author", "created_at", "client_id"]
    ordering = ["-id"]

    @admin.display(description="content")
    def excerpt(self, post: Post) -> str:
        return Truncator(post.content).chars(80)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["username", "post_count", "created_at", "last_seen_at", "is_banned"]
    list_filter = ["is_banned"]
    search_fields = ["username"]
    readonly_fields = ["created_at", "last_seen_at", "last_read_id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Participant]:
        return super().get_queryset(request).annotate(post_total=Count("posts"))

    @admin.display(description="posts", ordering="post_total")
    def post_count(self, participant: Participant) -> int:
        return participant.post_total
