"""The admin's view of edits and author deletes (issue 14): a post's earlier versions on its page, the
"deleted by author" status, and list filters for edited and author-deleted posts."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from wall import services
from wall.models import Participant, Post

from .test_admin import Moderator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def moderator(settings) -> Moderator:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    moderator = Moderator()
    await moderator.login()
    return moderator


post_edit = sync_to_async(services.post_edit)
post_delete_own = sync_to_async(services.post_delete_own)


@pytest.fixture
async def posts() -> dict[str, Post]:
    """An untouched post, an edited one (twice), and one its author deleted."""
    author = await Participant.objects.acreate(username="Alice", token_hash="a" * 64)
    plain = await Post.objects.acreate(author=author, content="plain post")
    edited = await Post.objects.acreate(author=author, content="first <b>draft</b>")
    await post_edit(author_id=author.pk, post_id=edited.pk, content="second draft")
    await post_edit(author_id=author.pk, post_id=edited.pk, content="final text")
    taken_back = await Post.objects.acreate(author=author, content="taken back")
    await post_delete_own(author_id=author.pk, post_id=taken_back.pk)
    return {"plain": plain, "edited": edited, "deleted": taken_back}


async def test_a_posts_page_lists_its_earlier_versions_oldest_first(moderator: Moderator, posts):
    page = (await moderator.get(f"/admin/wall/post/{posts['edited'].pk}/change/")).content.decode()
    first, second = page.index("first &lt;b&gt;draft&lt;/b&gt;"), page.index("second draft")
    assert first < second and "final text" in page
    assert "<b>draft</b>" not in page  # escaped, never markup


async def test_an_untouched_post_has_no_earlier_versions(moderator: Moderator, posts):
    page = (await moderator.get(f"/admin/wall/post/{posts['plain'].pk}/change/")).content.decode()
    assert "earlier versions" in page.lower() and ", replaced" not in page


async def test_the_list_says_which_post_its_author_deleted(moderator: Moderator, posts):
    page = (await moderator.get("/admin/wall/post/")).content.decode()
    assert page.count("deleted by author") >= 1 and "taken back" in page


@pytest.mark.parametrize(
    "query, shown, not_shown",
    [
        ("edited=yes", ["final text"], ["plain post", "taken back"]),
        ("edited=no", ["plain post", "taken back"], ["final text"]),
        ("deleted_by_author__exact=1", ["taken back"], ["plain post", "final text"]),
        ("deleted_by_author__exact=0", ["plain post", "final text"], ["taken back"]),
    ],
)
async def test_the_list_filters_edited_and_author_deleted_posts(
    moderator: Moderator, posts, query, shown, not_shown
):
    page = (await moderator.get(f"/admin/wall/post/?{query}")).content.decode()
    assert all(text in page for text in shown), query
    assert not any(text in page for text in not_shown), query


async def test_hiding_from_the_form_still_works_on_an_edited_post(moderator: Moderator, posts):
    response = await moderator.post(
        f"/admin/wall/post/{posts['edited'].pk}/change/", {"content": "final text", "is_hidden": "on"}
    )
    assert response.status_code == 302
    saved = await Post.objects.aget(pk=posts["edited"].pk)
    assert saved.is_hidden and saved.content == "final text" and not saved.deleted_by_author
