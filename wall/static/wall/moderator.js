// A moderator's tools on the wall itself: the badge, Hide / Unhide / Ban author on every post, and
// hidden posts shown greyed with who hid them. The server decides who is a moderator (the Django
// session); these are only buttons: every action is checked again on the server.

import { el } from "./render.js";

const REASONS = { spam: "spam", abuse: "abuse", other: "other" };
const POSTS = ".post[data-id]";

export class ModeratorTools {
  /** `ui` holds the badge, the posts list and the dialog's parts; send(type, data) sends a frame. */
  constructor({ ui, feed, send, toast }) {
    Object.assign(this, { ui, feed, send, toast });
    this.active = false;
    this.hidden = new Map(); // post id -> {hidden_by, reason}
    this.action = null; // {kind, id} the dialog is for
    // Posts arrive through the feed (history, live, a confirmed pending copy): tools follow them.
    new MutationObserver(() => this.decorateAll()).observe(ui.posts, {
      childList: true,
      subtree: true,
      attributeFilter: ["data-id"],
    });
    ui.form.addEventListener("submit", (event) => this.onSubmit(event));
    ui.dialog.addEventListener("close", () => (this.action = null));
  }

  /** The `moderator` event: this page belongs to a moderator. */
  start({ username, hidden, reports }) {
    this.active = true;
    this.ui.badge.hidden = false;
    this.ui.name.textContent = typeof username === "string" ? username : "";
    this.reportCount(reports);
    for (const item of Array.isArray(hidden) ? hidden : []) this.postHidden(item);
    this.decorateAll();
  }

  /** The live count of posts with reports to decide (`reports`, and on connect). */
  reportCount(count) {
    const shown = Number.isInteger(count) && count > 0;
    this.ui.reports.hidden = !shown;
    this.ui.reports.textContent = shown ? `${count} reported` : "";
  }

  /** `post_hidden`: show the post greyed, with who hid it and why. */
  postHidden(item) {
    const post = item?.message;
    if (!post || typeof post.id !== "string") return;
    this.hidden.set(post.id, { by: String(item.hidden_by ?? ""), reason: String(item.reason ?? "") });
    if (!document.getElementById(`post-${post.id}`)) this.feed.add(post);
    this.decorate(document.getElementById(`post-${post.id}`), true);
  }

  /** A `message` for a post shown greyed (an unhide): show it as any other. */
  postShown(post) {
    if (!post || !this.hidden.delete(post.id)) return;
    this.decorate(document.getElementById(`post-${post.id}`), true);
  }

  decorateAll() {
    if (!this.active) return;
    for (const item of this.ui.posts.querySelectorAll(`${POSTS}:not(.has-mod-tools)`)) this.decorate(item);
  }

  /** Add (or, with `again`, rebuild) one post's tools and its greyed state. */
  decorate(item, again = false) {
    if (!item || !this.active || (!again && item.classList.contains("has-mod-tools"))) return;
    const id = item.dataset.id;
    const hidden = this.hidden.get(id);
    item.classList.add("has-mod-tools");
    item.classList.toggle("is-moderated", Boolean(hidden));
    const tools = el("div", "mod-tools");
    if (hidden) {
      const who = hidden.by ? `Hidden by ${hidden.by}` : "Hidden by the wall";
      tools.append(el("span", "mod-hidden-note", hidden.reason ? `${who}: ${hidden.reason}` : who));
      tools.append(this.button("Unhide", () => this.send("unhide", { id })));
    } else {
      tools.append(this.button("Hide", () => this.ask("hide", item)));
    }
    tools.append(this.button("Ban author", () => this.ask("ban", item)));
    item.querySelector(":scope .mod-tools")?.remove();
    item.querySelector(".post-body")?.append(tools);
  }

  button(label, onClick) {
    const button = el("button", "link-button mod-action", label);
    button.type = "button";
    button.addEventListener("click", onClick);
    return button;
  }

  /** Open the dialog for a hide or a ban: a reason, a note, and for a ban its length. */
  ask(kind, item) {
    const { ui } = this;
    this.action = { kind, id: item.dataset.id };
    const author = item.querySelector(".post-author")?.textContent ?? "";
    ui.title.textContent = kind === "ban" ? `Ban ${author}` : "Hide this post";
    ui.post.textContent = `${author}: ${item.querySelector(".post-content")?.textContent ?? ""}`.slice(0, 200);
    ui.durations.hidden = kind !== "ban";
    ui.confirm.textContent = kind === "ban" ? "Ban" : "Hide";
    ui.note.value = "";
    ui.dialog.showModal();
  }

  onSubmit(event) {
    const action = this.action;
    if (event.submitter?.value !== "confirm" || !action) return;
    const { ui } = this;
    const note = ui.note.value.trim();
    const reason = (note ? `${REASONS[ui.reason.value] ?? "other"}: ${note}` : REASONS[ui.reason.value]) ?? "";
    const data = { id: action.id, reason: reason.slice(0, 200) };
    if (action.kind === "ban") data.duration = ui.form.elements.duration.value;
    if (!this.send(action.kind, data)) this.toast("Not connected: try again in a moment.");
  }

  /** `user_banned`, to moderators. */
  userBanned({ username, reason, until }) {
    const end = until ? `until ${new Date(until).toLocaleString()}` : "for good";
    this.toast(`${username} is banned ${end}${reason ? `: ${reason}` : ""}.`);
  }

  /** The server refused a moderator's action as forbidden: the tools go. */
  stop() {
    this.active = false;
    this.ui.badge.hidden = true;
    for (const item of this.ui.posts.querySelectorAll(".has-mod-tools")) {
      item.classList.remove("has-mod-tools", "is-moderated");
      item.querySelector(".mod-tools")?.remove();
      if (this.hidden.has(item.dataset.id)) this.feed.remove(item.dataset.id);
    }
    this.hidden.clear();
  }
}
