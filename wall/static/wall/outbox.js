// The reader's own posts on their way: shown greyed at the bottom until the server echoes their client_id.

import { clearPendingStatus, postElement, setPendingStatus } from "./render.js";

const STORAGE_KEY = "wall.pending";
// Refusals that sending the same text again cannot fix: offer to edit it instead of a retry.
const EDITABLE_ERRORS = new Set(["too_long", "empty", "bad_request", "duplicate"]);

function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `c-${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Each item is {clientId, content, el, state, sentAt, error} with state
 * queued (to send when joined) | sent (waiting for its echo) | waiting (rate limited) | failed.
 * Items survive a reload (localStorage) and are re-sent with the same client_id, so a post is
 * saved exactly once however often it is sent.
 */
export class Outbox {
  /**
   * send(item) sends one `message` frame and says whether it went out; joined() says whether the
   * socket has joined; onEdit(content) puts a refused post back in the composer; onChange() runs
   * when items come or go.
   */
  constructor({ list, send, joined, onEdit, onChange }) {
    Object.assign(this, { list, send, joined, onEdit, onChange });
    this.items = new Map();
    this.rateLimitedUntil = 0;
  }

  get size() {
    return this.items.size;
  }

  /** Queue a new post by `author` and try to send it. */
  add(content, author) {
    this.create(newClientId(), content, author);
    this.save();
    this.flush();
  }

  /** Bring back the posts a closed page had not got confirmed. */
  restore(author) {
    try {
      for (const { client_id: clientId, content } of JSON.parse(localStorage.getItem(STORAGE_KEY)) ?? []) {
        if (typeof clientId === "string" && typeof content === "string") this.create(clientId, content, author);
      }
    } catch {
      this.save();
    }
  }

  create(clientId, content, author) {
    const element = postElement(
      { author, content, created_at: new Date().toISOString(), image: null },
      { mine: true },
    );
    element.classList.add("is-pending");
    element.dataset.clientId = clientId;
    this.list.append(element);
    const item = { clientId, content, el: element, state: "queued", sentAt: 0, error: null };
    this.items.set(clientId, item);
    this.render(item);
    this.onChange();
  }

  /** The server echoed this client_id: hand back the element to place as a confirmed post, or null. */
  confirm(clientId, content) {
    const item = this.items.get(clientId);
    if (!item) return null;
    this.items.delete(clientId);
    this.save();
    item.el.classList.remove("is-pending", "is-failed");
    clearPendingStatus(item.el);
    const text = item.el.querySelector(".post-content");
    if (text) text.textContent = content;
    this.onChange();
    return item.el;
  }

  /** An `error` for one of our posts; false when the client_id is not ours. */
  fail(error) {
    const item = this.items.get(error.client_id);
    if (!item) return false;
    item.error = error;
    if (error.code === "rate_limited") {
      item.state = "waiting";
      const wait = Math.max(1, Number(error.retry_after) || 1) * 1000;
      this.rateLimitedUntil = Math.max(this.rateLimitedUntil, Date.now() + wait);
    } else if (error.code === "not_joined") {
      item.state = "queued";
    } else {
      item.state = "failed";
    }
    this.render(item);
    return true;
  }

  /** Send every queued post, oldest first, unless a rate-limit wait is running. */
  flush() {
    if (!this.joined() || Date.now() < this.rateLimitedUntil) return;
    for (const item of this.items.values()) {
      if (item.state !== "queued") continue;
      if (!this.send(item)) return;
      item.state = "sent";
      item.sentAt = Date.now();
      this.render(item);
    }
  }

  /** The socket closed: what was sent unanswered goes out again after the next join. */
  connectionLost() {
    for (const item of this.items.values()) if (item.state === "sent") item.state = "queued";
    this.renderAll();
  }

  /** Once a second: count down a rate-limit wait and send when it is over. */
  tick(now = Date.now()) {
    const waiting = [...this.items.values()].filter((item) => item.state === "waiting");
    if (waiting.length && now >= this.rateLimitedUntil) {
      for (const item of waiting) item.state = "queued";
      this.flush();
    }
    waiting.forEach((item) => this.render(item));
  }

  /** True when a sent post has waited longer than `ms` for its echo. */
  stalledFor(ms, now = Date.now()) {
    return [...this.items.values()].some((item) => item.state === "sent" && now - item.sentAt > ms);
  }

  renameAuthor(name) {
    for (const item of this.items.values()) item.el.querySelector(".post-author").textContent = name;
  }

  retry(item) {
    item.state = "queued";
    item.error = null;
    this.render(item);
    this.flush();
  }

  discard(item) {
    this.items.delete(item.clientId);
    item.el.remove();
    this.save();
    this.onChange();
  }

  edit(item) {
    this.discard(item);
    this.onEdit(item.content);
  }

  renderAll() {
    for (const item of this.items.values()) this.render(item);
  }

  render(item) {
    item.el.classList.toggle("is-failed", item.state === "failed");
    const discard = ["Discard", () => this.discard(item)];
    if (item.state === "failed") {
      const actions = EDITABLE_ERRORS.has(item.error?.code)
        ? [["Edit", () => this.edit(item)], discard]
        : [["Retry", () => this.retry(item)], discard];
      setPendingStatus(item.el, { text: item.error?.message || "Not sent.", tone: "is-error", actions });
    } else if (item.state === "waiting") {
      const seconds = Math.max(0, Math.ceil((this.rateLimitedUntil - Date.now()) / 1000));
      setPendingStatus(item.el, {
        text: `Slow down: sending again in ${seconds} s`,
        tone: "is-warning",
        actions: [["Retry", () => this.retry(item), { disabled: seconds > 0 }], discard],
      });
    } else if (this.joined()) {
      setPendingStatus(item.el, { text: "Sending…" });
    } else {
      setPendingStatus(item.el, { text: "Waiting for the connection…", actions: [discard] });
    }
  }

  save() {
    const items = [...this.items.values()].map(({ clientId, content }) => ({ client_id: clientId, content }));
    try {
      if (items.length) localStorage.setItem(STORAGE_KEY, JSON.stringify(items));
      else localStorage.removeItem(STORAGE_KEY);
    } catch {
      // No storage (private mode): pending posts last for this page only.
    }
  }
}
