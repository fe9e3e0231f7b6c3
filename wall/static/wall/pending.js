// The reader's own posts on their way: shown greyed at the bottom until the server echoes their client_id.

import { showMeta } from "./postmeta.js";
import { clearPendingStatus, postElement, setPendingStatus, setPostImage } from "./render.js";

const STORAGE_KEY = "wall.pending";
// Refusals that sending the same text again cannot fix: offer to edit it instead of a retry.
// (no_such_post: the post it answered was removed meanwhile; it goes back without the reply.)
const EDITABLE_ERRORS = new Set(["too_long", "empty", "bad_request", "duplicate", "invalid_image", "no_such_post"]);

function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `c-${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Each item is {clientId, content, image, el, state, sentAt, error} with state
 * uploading (its image is on its way) | queued (to send when joined) | sent (waiting for its echo) |
 * waiting (rate limited) | failed. `image` is null or {id, url, preview, upload}: `id` and `url` once
 * uploaded, `preview` a local blob: URL, `upload` an images.Upload.
 * Items survive a reload (localStorage, once their image is uploaded) and are re-sent with the same
 * client_id, so a post is saved exactly once however often it is sent. They go out in order: a post
 * waits while an earlier one's image is uploading.
 */
export class PendingPosts {
  /**
   * send(item) sends one `message` frame and says whether it went out; joined() says whether the
   * socket has joined; onEdit(content, file) puts a refused post (and its image file, or null) back
   * in the composer; onChange() runs when items come or go.
   */
  constructor({ list, send, joined, onEdit, onChange }) {
    Object.assign(this, { list, send, joined, onEdit, onChange });
    this.items = new Map();
    this.rateLimitedUntil = 0;
  }

  get size() {
    return this.items.size;
  }

  /** Queue a new post by `author`, with an image ({preview, upload}) or null, answering `replyTo`
   *  ({id, author, excerpt} of the original) or null, and try to send it. */
  add(content, author, image = null, replyTo = null) {
    this.create(newClientId(), content, author, image, replyTo);
    this.save();
    this.flush();
  }

  /** Bring back the posts a closed page had not got confirmed. */
  restore(author) {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY)) ?? [];
      for (const { client_id: clientId, content, image_id: imageId, image_url: imageUrl, reply_to: replyTo } of saved) {
        if (typeof clientId !== "string" || typeof content !== "string") continue;
        const uploaded = typeof imageId === "string" && typeof imageUrl === "string";
        const quoted = replyTo && typeof replyTo === "object" ? replyTo : null;
        this.create(clientId, content, author, uploaded ? { id: imageId, url: imageUrl } : null, quoted);
      }
    } catch {
      this.save();
    }
  }

  create(clientId, content, author, image = null, replyTo = null) {
    const post = { author, content, created_at: new Date().toISOString(), image: image?.preview ?? image?.url ?? null };
    const element = postElement(post, { mine: true });
    showMeta(element, { ...post, reply_to: replyTo });
    element.classList.add("is-pending");
    element.dataset.clientId = clientId;
    this.list.append(element);
    const item = { clientId, content, image, replyTo, el: element, state: "queued", sentAt: 0, error: null };
    this.items.set(clientId, item);
    if (image && !image.id) this.watchUpload(item);
    this.render(item);
    this.onChange();
  }

  /** Follow the item's image upload: progress, then queue the post, or fail it with the reason. */
  watchUpload(item) {
    const { image } = item;
    const upload = image.upload;
    const current = () => this.items.get(item.clientId) === item && image.upload === upload;
    item.state = "uploading";
    upload.onProgress(() => current() && this.render(item));
    upload.done.then(
      ({ id, url }) => {
        if (!current()) return;
        Object.assign(image, { id, url });
        item.state = "queued";
        this.save();
        this.render(item);
        this.flush();
      },
      (failure) => {
        if (!current()) return;
        item.state = "failed";
        item.error = { code: "upload_failed", message: failure.message };
        this.render(item);
        this.flush();
      },
    );
  }

  /** The server echoed our post: hand back the element to place as a confirmed post, or null. */
  confirm(post) {
    const item = this.items.get(post.client_id);
    if (!item) return null;
    this.items.delete(post.client_id);
    this.save();
    item.el.classList.remove("is-pending", "is-failed");
    clearPendingStatus(item.el);
    const text = item.el.querySelector(".post-content");
    if (text) text.textContent = post.content;
    setPostImage(item.el, post);
    showMeta(item.el, post);
    if (item.image?.preview) URL.revokeObjectURL(item.image.preview);
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
      if (item.state === "uploading") return; // Later posts wait for this one's image.
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


  renameAuthor(name) {
    for (const item of this.items.values()) item.el.querySelector(".post-author").textContent = name;
  }

  retry(item) {
    item.error = null;
    if (item.image && !item.image.id) {
      item.image.upload = item.image.upload.again();
      this.watchUpload(item);
      this.render(item);
      return;
    }
    item.state = "queued";
    this.render(item);
    this.flush();
  }

  discard(item) {
    this.items.delete(item.clientId);
    item.el.remove();
    if (item.image && !item.image.id) item.image.upload?.abort();
    if (item.image?.preview) URL.revokeObjectURL(item.image.preview);
    this.save();
    this.onChange();
    this.flush();
  }

  edit(item) {
    const file = item.image?.upload?.file ?? null;
    this.discard(item);
    const replyTo = item.error?.code === "no_such_post" ? null : (item.replyTo ?? null);
    this.onEdit(item.content, file, replyTo);
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
    } else if (item.state === "uploading") {
      const percent = Math.round((item.image.upload?.progress ?? 0) * 100);
      setPendingStatus(item.el, { text: `Uploading the image… ${percent} %`, actions: [discard] });
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
    // A post whose image is not uploaded yet cannot come back after a reload: its file is gone.
    const items = [...this.items.values()]
      .filter(({ image }) => !image || image.id)
      .map(({ clientId, content, image, replyTo }) => ({
        client_id: clientId,
        content,
        image_id: image?.id ?? null,
        image_url: image?.url ?? null,
        reply_to: replyTo ?? null,
      }));
    try {
      if (items.length) localStorage.setItem(STORAGE_KEY, JSON.stringify(items));
      else localStorage.removeItem(STORAGE_KEY);
    } catch {
      // No storage (private mode): pending posts last for this page only.
    }
  }
}
