"""Moderation in the Django admin: every hide, unhide, ban and delete goes through wall.moderation;
renames and the release of kept names through wall.services.renames."""

from __future__ import annotations

from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from . import moderation, services
from .errors import WallError
from .models import (
    Image,
    ModerationAction,
    NameReservation,
    Participant,
    Post,
    PostRevision,
    Report,
    ReportedPost,
    WordRule,
)


def _ids(queryset: QuerySet) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


def _by(request: HttpRequest) -> moderation.Actor:
    """The admin user, for the audit trail."""
    return moderation.Actor.of(request.user, "admin")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@admin.action(description="Hide selected posts (removed from every open wall)", permissions=["change"])
def hide_posts(modeladmin: PostAdmin, request: HttpRequest, queryset: QuerySet[Post]) -> None:
    hidden = moderation.post_hide(post_ids=_ids(queryset), by=_by(request))
    modeladmin.message_user(request, f"Hid {_plural(len(hidden), 'post')}.", messages.SUCCESS)


@admin.action(description="Unhide selected posts (shown again on every open wall)", permissions=["change"])
def unhide_posts(modeladmin: PostAdmin, request: HttpRequest, queryset: QuerySet[Post]) -> None:
    shown = moderation.post_unhide(post_ids=_ids(queryset), by=_by(request))
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


@admin.action(description="Approve selected held posts (shown on every open wall)", permissions=["change"])
def approve_posts(modeladmin: PostAdmin, request: HttpRequest, queryset: QuerySet[Post]) -> None:
    approved = moderation.post_approve(post_ids=_ids(queryset.order_by("pk")), by=_by(request))
    modeladmin.message_user(request, f"Approved {_plural(len(approved), 'post')}.", messages.SUCCESS)


class PostForm(forms.ModelForm):
    """A moderator may change a post's text at any time (issue 14): the rules of a post's text
    apply (wall.services.clean_content), and wall.moderation.post_edit saves it."""

    class Meta:
        model = Post
        fields = ["content", "is_hidden"]

    def clean_content(self) -> str:
        try:
            content = services.clean_content(self.cleaned_data["content"])
        except WallError as error:
            raise forms.ValidationError(error.message) from None
        if not content and not Image.objects.filter(post_id=self.instance.pk).exists():
            raise forms.ValidationError("A post needs some text or an image.")
        return content


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "thumbnail",
        "excerpt",
        "author_link",
        "created_at",
        "edited_at",
        "status",
        "hidden_by",
    ]
    list_display_links = ["id", "excerpt"]
    list_filter = ["is_held", "is_hidden", "deleted_by_author", EditedFilter, "created_at"]
    search_fields = ["content", "author__username"]
    date_hierarchy = "created_at"
    list_select_related = ["author", "image"]
    # Only the text and visibility change here, and only through wall.moderation (save_model).
    form = PostForm
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
        "hidden_by",
        "hidden_reason",
    ]
    readonly_fields = [
        "author_link",
        "created_at",
        "edited_at",
        "revisions",
        "thumbnail",
        "reply_to",
        "client_id",
        "deleted_by_author",
        "hidden_by",
        "hidden_reason",
    ]
    ordering = ["-id"]
    actions = [approve_posts, hide_posts, unhide_posts]

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
        if post.is_held:
            return "held"
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
        if change and "content" in form.changed_data:
            moderation.post_edit(post_id=obj.pk, content=obj.content, by=_by(request))
        if change and "is_hidden" in form.changed_data:
            if obj.is_hidden:
                moderation.post_hide(post_ids=[obj.pk], by=_by(request))
            else:
                moderation.post_unhide(post_ids=[obj.pk], by=_by(request))

    def delete_model(self, request: HttpRequest, obj: Post) -> None:
        moderation.post_delete(post_ids=[obj.pk], by=_by(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        moderation.post_delete(post_ids=_ids(queryset), by=_by(request))


@admin.action(description="Ban selected participants", permissions=["change"])
def ban_participants(modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    banned = moderation.participant_ban(participant_ids=_ids(queryset), by=_by(request))
    modeladmin.message_user(request, f"Banned {_plural(len(banned), 'participant')}.", messages.SUCCESS)


@admin.action(description="Ban selected participants and hide all their posts", permissions=["change"])
def ban_participants_and_hide_posts(
    modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    banned = moderation.participant_ban(participant_ids=_ids(queryset), hide_posts=True, by=_by(request))
    modeladmin.message_user(
        request,
        f"Banned {_plural(len(banned), 'participant')} and hid all posts of the selected ones.",
        messages.SUCCESS,
    )


@admin.action(description="Ban selected participants for 1 hour", permissions=["change"])
def ban_participants_for_an_hour(
    modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    _ban_for(modeladmin, request, queryset, "1h", "1 hour")


@admin.action(description="Ban selected participants for 1 day", permissions=["change"])
def ban_participants_for_a_day(
    modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    _ban_for(modeladmin, request, queryset, "1d", "1 day")


def _ban_for(
    modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet, key: str, text: str
) -> None:
    until = timezone.now() + moderation.BAN_DURATIONS[key]
    banned = moderation.participant_ban(participant_ids=_ids(queryset), by=_by(request), until=until)
    modeladmin.message_user(
        request, f"Banned {_plural(len(banned), 'participant')} for {text}.", messages.SUCCESS
    )


@admin.action(
    description="Trust selected participants (their posts skip the held queue)", permissions=["change"]
)
def trust_participants(modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    changed = moderation.participant_trust(participant_ids=_ids(queryset), trusted=True, by=_by(request))
    modeladmin.message_user(
        request, f"Now trusting {_plural(len(changed), 'participant')}.", messages.SUCCESS
    )


@admin.action(description="Stop trusting selected participants", permissions=["change"])
def untrust_participants(modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    changed = moderation.participant_trust(participant_ids=_ids(queryset), trusted=False, by=_by(request))
    modeladmin.message_user(
        request, f"No longer trusting {_plural(len(changed), 'participant')}.", messages.SUCCESS
    )


@admin.action(description="Unban selected participants", permissions=["change"])
def unban_participants(modeladmin: ParticipantAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    unbanned = moderation.participant_unban(participant_ids=_ids(queryset), by=_by(request))
    modeladmin.message_user(request, f"Unbanned {_plural(len(unbanned), 'participant')}.", messages.SUCCESS)


class ParticipantForm(forms.ModelForm):
    """The admin's participant form: a new name must pass the wall's own rules (a moderator's
    rename is checked like anyone's, but may take a name kept for someone else)."""

    class Meta:
        model = Participant
        fields = ["username", "is_banned"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if "username" in self.changed_data:
            try:
                services.username_available(username=username, for_participant=self.instance.pk)
            except WallError as error:
                if error.code != "username_reserved":
                    raise forms.ValidationError(error.message) from None
        return username


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["username", "post_count", "created_at", "last_seen_at", "is_banned", "banned_until"]
    list_display += ["is_trusted"]
    list_filter = ["is_banned", "is_trusted"]
    search_fields = ["username"]
    # A rename goes through wall.services.renames (everyone is told); the ban through wall.moderation.
    form = ParticipantForm
    fields = [
        "username",
        "post_count",
        "created_at",
        "last_seen_at",
        "last_read_id",
        "is_banned",
        "banned_until",
        "ban_reason",
    ]
    readonly_fields = [
        "post_count",
        "created_at",
        "last_seen_at",
        "last_read_id",
        "banned_until",
        "ban_reason",
    ]
    actions = [
        ban_participants,
        ban_participants_for_an_hour,
        ban_participants_for_a_day,
        ban_participants_and_hide_posts,
        unban_participants,
        trust_participants,
        untrust_participants,
    ]

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
        if change and "username" in form.changed_data:
            # The impersonator's name is not kept for them: a moderator's rename keeps nothing.
            services.participant_rename(participant_id=obj.pk, username=obj.username, keep_old=False)
        if change and "is_banned" in form.changed_data:
            if obj.is_banned:
                moderation.participant_ban(participant_ids=[obj.pk], by=_by(request))
            else:
                moderation.participant_unban(participant_ids=[obj.pk], by=_by(request))

    def delete_model(self, request: HttpRequest, obj: Participant) -> None:
        moderation.participant_delete(participant_ids=[obj.pk], by=_by(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        moderation.participant_delete(participant_ids=_ids(queryset), by=_by(request))


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit trail, read-only: who did what, when and why, from the page, the admin or the wall."""

    list_display = ["at", "moderator_name", "source", "action", "target", "reason", "until"]
    list_filter = ["action", "source", "at"]
    search_fields = ["moderator_name", "target", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ModerationAction | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ModerationAction | None = None) -> bool:
        return False  # A trail that moderators could edit would prove nothing.


@admin.action(description="Hide selected posts", permissions=["change"])
def hide_reported(modeladmin: ReportedPostAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    hidden = moderation.post_hide(post_ids=_ids(queryset), by=_by(request))
    modeladmin.message_user(request, f"Hid {_plural(len(hidden), 'post')}.", messages.SUCCESS)


@admin.action(description="Show selected posts again (reports settled)", permissions=["change"])
def unhide_reported(modeladmin: ReportedPostAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    shown = moderation.post_unhide(post_ids=_ids(queryset), by=_by(request))
    modeladmin.message_user(request, f"Unhid {_plural(len(shown), 'post')}.", messages.SUCCESS)


@admin.action(
    description="Dismiss the reports of selected posts (leave them as they are)", permissions=["change"]
)
def dismiss_reports(modeladmin: ReportedPostAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    settled = moderation.post_reports_dismiss(post_ids=_ids(queryset), by=_by(request))
    modeladmin.message_user(
        request, f"Settled the reports of {_plural(len(settled), 'post')}.", messages.SUCCESS
    )


class ReportInline(admin.TabularInline):
    model = Report
    fields = ["created_at", "reporter", "reason", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Post | None = None) -> bool:
        return False


@admin.register(ReportedPost)
class ReportedPostAdmin(admin.ModelAdmin):
    """The "Reported" queue: posts readers reported, the most reported first; every decision goes
    through wall.moderation."""

    list_display = [
        "id",
        "excerpt",
        "author_link",
        "report_total",
        "reasons",
        "is_hidden",
        "hidden_by",
        "reviewed_at",
    ]
    list_display_links = ["id", "excerpt"]
    list_filter = ["is_hidden"]
    fields = [
        "author_link",
        "created_at",
        "content",
        "is_hidden",
        "hidden_by",
        "hidden_reason",
        "reviewed_at",
    ]
    readonly_fields = fields
    inlines = [ReportInline]
    actions = [hide_reported, unhide_reported, dismiss_reports]
    excerpt = PostAdmin.excerpt
    author_link = PostAdmin.author_link

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportedPost]:
        return (
            super()
            .get_queryset(request)
            .filter(reports__isnull=False)
            .annotate(report_count=Count("reports", distinct=True))
            .select_related("author")
            .order_by("-report_count", "-id")
        )

    @admin.display(description="reports", ordering="report_count")
    def report_total(self, post: ReportedPost) -> int:
        return post.report_count

    @admin.display(description="reasons")
    def reasons(self, post: ReportedPost) -> str:
        counts = Counter(post.reports.values_list("reason", flat=True))
        return ", ".join(f"{reason} {count}" for reason, count in counts.most_common())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ReportedPost | None = None) -> bool:
        return False  # Deleting goes through the posts list, which tells every wall.


@admin.action(description="Release selected names (anyone may take them now)", permissions=["delete"])
def release_names(modeladmin: NameReservationAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    ids = _ids(queryset)
    for reservation_id in ids:
        services.name_release(reservation_id=reservation_id)
    modeladmin.message_user(request, f"Released {_plural(len(ids), 'name')}.", messages.SUCCESS)


@admin.register(NameReservation)
class NameReservationAdmin(admin.ModelAdmin):
    """Names given up by a rename, kept from others for a while; a moderator may release one."""

    list_display = ["username", "participant", "until"]
    search_fields = ["username", "participant__username"]
    fields = ["username", "participant", "until"]
    readonly_fields = ["username", "participant", "until"]
    actions = [release_names]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # A name is kept by a rename, never by hand.

    def delete_model(self, request: HttpRequest, obj: NameReservation) -> None:
        services.name_release(reservation_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[NameReservation]) -> None:
        for reservation_id in _ids(queryset):
            services.name_release(reservation_id=reservation_id)


@admin.register(WordRule)
class WordRuleAdmin(admin.ModelAdmin):
    """Blocked words and patterns (wall.wordfilter): each refuses, holds or masks a matching post.
    A pattern that takes too long on awkward texts is refused when saved (WordRule.clean)."""

    list_display = ["pattern", "kind", "action", "reason", "enabled", "created_at"]
    list_filter = ["action", "kind", "enabled"]
    list_editable = ["enabled"]
    search_fields = ["pattern", "reason"]
