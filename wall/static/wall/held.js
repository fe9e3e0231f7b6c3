// Held posts (WALL_PREMODERATION): the author's own, shown as waiting for a moderator, and the
// moderators' live queue with Approve and Reject.

import { el, setPendingStatus } from "./render.js";

/** The author's page: a post of theirs is waiting for a moderator (`message_held`). */
export function showHeld({ feed, pending }, post) {
  if (!post || typeof post.id !== "string") return;
  const element = post.client_id != null ? pending.confirm(post) : null;
  if (!document.getElementById(`post-${post.id}`) && !feed.add(post, { mine: true, element })) element?.remove();
  const item = document.getElementById(`post-${post.id}`);
  if (!item) return;
  item.classList.add("is-held");
  setPendingStatus(item, { text: "Waiting for a moderator: only you see it for now.", tone: "is-warning" });
}

/** The moderators' queue of held posts, oldest first. */
export class HeldQueue {
  /** `ui`: the box, its list and its count; send(type, data) sends a frame. */
  constructor({ ui, send }) {
    Object.assign(this, { ui, send });
    this.posts = new Map(); // id -> post, in arrival order
  }

  replace(posts) {
    this.posts.clear();
    for (const post of Array.isArray(posts) ? posts : []) this.posts.set(post.id, post);
    this.render();
  }

  add(post) {
    if (!post || typeof post.id !== "string") return;
    this.posts.set(post.id, post);
    this.render();
  }

  /** A held post left the queue (approved: its held id is deleted; rejected: hidden). */
  remove(id) {
    if (this.posts.delete(id)) this.render();
  }

  render() {
    const { box, list, count } = this.ui;
    box.hidden = this.posts.size === 0;
    count.textContent = String(this.posts.size);
    list.replaceChildren(
      ...[...this.posts.values()].map((post) => {
        const item = el("li", "held-item");
        item.dataset.id = post.id;
        const text = el("p", "held-text");
        text.append(el("strong", "held-author", post.author), document.createTextNode(` ${post.content}`));
        item.append(text, this.button("Approve", "primary", () => this.send("approve", { id: post.id })));
        item.append(this.button("Reject", "secondary", () => this.send("hide", { id: post.id, reason: "rejected" })));
        return item;
      }),
    );
  }

  button(label, className, onClick) {
    const button = el("button", `held-button ${className}`, label);
    button.type = "button";
    button.addEventListener("click", () => {
      button.disabled = true;
      onClick();
    });
    return button;
  }
}
