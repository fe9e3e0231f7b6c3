"""Moderation in the Django admin: every hide, unhide, ban and delete goes through wall.moderation."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from . import moderation
from .models import Participant, Post, PostRevision


def _ids(queryset: QuerySet) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@admin.action(description="Hide selected posts (removed from every open wall)", permissions=["change"])
def hide_posts(modeladmin: PostAdmin, request: HttpRequest, queryset: QuerySet[Post]) -> None:
    hidden = moderation.post_hide(post_ids=_ids(queryset))
    modeladmin.message_user(request, f"Hid {_plural(len(hidden), 'post')}.", messages.SUCCESS)


@admin.action(description="Unhide selected posts (shown again on every open wall)", permissions=["change"])
def unhide_posts(modeladmin: PostAdmin, request: HttpRequest, queryset: QuerySet[Post]) -> None:
    shown = moderation.post_unhide(post_ids=_ids(queryset))
    modeladmin.message_user(request, f"Unhid {_plural(len(shown), 'post')}.", messages.SUCCESS)


class EditedFilter(admin.SimpleListFilter):
    """Posts whose author edited them (their earlier texts are on the post's page)."""

    title = "edited by its author"
    parameter_name = "edited"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Edited"), ("no", "Never edited")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> QuerySet[Post]:
        if self.value() in ("yes", "no"):
            return queryset.filter(edited_at__isnull=self.value() == "no")
        return queryset


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "thumbnail", "excerpt", "author_link", "created_at", "edited_at", "status"]
    list_display_links = ["id", "excerpt"]
    list_filter = ["is_hidden", "deleted_by_author", EditedFilter, "created_at"]
    search_fields = ["content", "author__username"]
    date_hierarchy = "created_at"
    list_select_related = ["author", "image"]
    # Only visibility can change here, and only through wall.moderation (save_model).
    fields = [
        "author_link",
        "created_at",
        "edited_at",
        "content",
        "revisions",
        "thumbnail",
        "reply_to",
        "client_id",
        "deleted_by_author",
        "is_hidden",
    ]
    readonly_fields = [
        "author_link",
        "created_at",
        "edited_at",
        "content",
        "revisions",
        "thumbnail",
        "reply_to",
        "client_id",
        "deleted_by_author",
    ]
    ordering = ["-id"]
    actions = [hide_posts, unhide_posts]

    @admin.display(description="content")
    def excerpt(self, post: Post) -> str:
        return Truncator(post.content).chars(80)

    @admin.display(description="earlier versions")
    def revisions(self, post: Post) -> str:
        """The texts each edit replaced, oldest first (a read-only list, not an inline: nothing here
        is a form the moderator could submit)."""
        rows = [
            format_html(
                "<li><time>{}</time>, replaced <time>{}</time>: <q>{}</q></li>",
                f"{revision.written_at:%Y-%m-%d %H:%M:%S}",
                f"{revision.replaced_at:%Y-%m-%d %H:%M:%S}",
                revision.content,
            )
            for revision in PostRevision.objects.filter(post=post).order_by("id")
        ]
        if not rows:
            return "none"
        return format_html("<ol>{}</ol>", format_html_join("", "{}", ((row,) for row in rows)))

    @admin.display(description="status", ordering="is_hidden")
    def status(self, post: Post) -> str:
        if post.deleted_by_author:
            return "deleted by author"
        return "hidden" if post.is_hidden else "visible"

    @admin.display(description="author", ordering="author__username")
    def author_link(self, post: Post) -> str:
        url = reverse("admin:wall_participant_change", args=[post.author_id])
        return format_html('<a href="{}">{}</a>', url, post.author.username)

    @admin.display(description="image")
    def thumbnail(self, post: Post) -> str:
        image = getattr(post, "image", None)  # The reverse one-to-one raises when there is none.
        if not image:
            return ""
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" title="{}x{}, full size">'
            '<img src="{}" alt="" loading="lazy" style="max-width:96px;max-height:72px"></a>',
            image.file.url,
            image.width,
            image.height,
            image.thumbnail.url,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Posts come from the wall, where they are validated and broadcast.

    def save_model(self, request: HttpRequest, obj: Post, form: ModelForm, change: bool) -> None:
        if change and "is_hidden" in form.changed_data:
            if obj.is_hidden:
                moderation.post_hide(post_ids=[obj.pk])
            else:
                moderation.post_unhide(post_ids=[obj.pk])

    def delete_model(self, request: HttpRequest, obj: Post) -> None:
        moderation.post_delete(post_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        moderation.post_delete(post_ids=_ids(queryset))


@admin.action(description="Ban selected participants", permissions=["change"])
def ban_participants(modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    banned = moderation.participant_ban(participant_ids=_ids(queryset))
    modeladmin.message_user(request, f"Banned {_plural(len(banned), 'participant')}.", messages.SUCCESS)


@admin.action(description="Ban selected participants and hide all their posts", permissions=["change"])
def ban_participants_and_hide_posts(
    modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    banned = moderation.participant_ban(participant_ids=_ids(queryset), hide_posts=True)
    modeladmin.message_user(
        request,
        f"Banned {_plural(len(banned), 'participant')} and hid all posts of the selected ones.",
        messages.SUCCESS,
    )


@admin.action(description="Unban selected participants", permissions=["change"])
def unban_participants(modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    unbanned = moderation.participant_unban(participant_ids=_ids(queryset))
    modeladmin.message_user(request, f"Unbanned {_plural(len(unbanned), 'participant')}.", messages.SUCCESS)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["username", "post_count", "created_at", "last_seen_at", "is_banned"]
    list_filter = ["is_banned"]
    search_fields = ["username"]
    # The name belongs to whoever holds its token; only the ban changes here, through wall.moderation.
    fields = ["username", "post_count", "created_at", "last_seen_at", "last_read_id", "is_banned"]
    readonly_fields = ["username", "post_count", "created_at", "last_seen_at", "last_read_id"]
    actions = [ban_participants, ban_participants_and_hide_posts, unban_participants]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Participant]:
        return super().get_queryset(request).annotate(post_total=Count("posts"))

    @admin.display(description="posts", ordering="post_total")
    def post_count(self, participant: Participant) -> str:
        url = reverse("admin:wall_post_changelist")
        return format_html(
            '<a href="{}?author__id__exact={}">{}</a>', url, participant.pk, participant.post_total
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Names are claimed on the wall, which hands out their tokens.

    def save_model(self, request: HttpRequest, obj: Participant, form: ModelForm, change: bool) -> None:
        if change and "is_banned" in form.changed_data:
            if obj.is_banned:
                moderation.participant_ban(participant_ids=[obj.pk])
            else:
                moderation.participant_unban(participant_ids=[obj.pk])

    def delete_model(self, request: HttpRequest, obj: Participant) -> None:
        moderation.participant_delete(participant_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        moderation.participant_delete(participant_ids=_ids(queryset))
