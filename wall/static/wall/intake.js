// Posts from the server onto the wall: checked, placed by id, our pending copies confirmed, and the
// reader followed at the bottom or told what arrived while away.

/** A post shape the page can show (from any event). */
export function isPost(post) {
  return (
    post &&
    typeof post.id === "string" &&
    /^\d+$/.test(post.id) &&
    typeof post.author === "string" &&
    typeof post.content === "string" &&
    typeof post.created_at === "string"
  );
}

export class PostIntake {
  /** isMine(post) says whether this page wrote it; deleted holds ids moderators removed. */
  constructor({ feed, pending, people, unread, notifier, announcer, isMine, deleted, maxPosts, myName, onTrim, onChange }) {
    Object.assign(this, { feed, pending, people, unread, notifier, announcer, isMine, deleted, maxPosts });
    Object.assign(this, { myName, onTrim, onChange });
  }

  /** Put one post on the wall: confirm our pending copy, or place it by id. "mine", "new" or null. */
  accept(post) {
    if (!isPost(post) || this.deleted.has(post.id)) return null;
    this.people.stopTyping(post.author);
    const element = post.client_id != null ? this.pending.confirm(post) : null;
    if (element) {
      if (!this.feed.add(post, { element })) element.remove();
      return "mine";
    }
    const mine = this.isMine(post);
    if (!this.feed.add(post, { mine })) return null;
    return mine ? "mine" : "new";
  }

  /** Posts that arrive while the reader is here: follow them at the bottom, or count them as unread. */
  acceptLive(posts) {
    const stick = this.feed.isAtBottom();
    const fresh = [];
    let mine = false;
    for (const post of posts) {
      const result = this.accept(post);
      if (result === "mine") mine = true;
      if (result === "new") {
        fresh.push(post);
        this.announcer.textContent = `${post.author}: ${post.content.slice(0, 200)}`;
        this.notifier.post(post, this.myName());
      }
    }
    if (stick || mine) {
      if (this.feed.trim(this.maxPosts)) this.onTrim();
      this.feed.scrollToBottom();
    }
    if (!(stick || mine) || document.hidden) this.unread.arrived(fresh);
    this.onChange();
  }
}
