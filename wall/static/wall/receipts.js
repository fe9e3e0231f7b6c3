// Read receipts: every reader's read pointer, our own `read` frames, and the "Seen by" lines they give.

const READ_DELAY_MS = 1000;

export class Receipts {
  /** send(type, data) sends a frame; me() is {id} once joined, else null; joined() says whether we may send. */
  constructor({ feed, send, me, joined }) {
    Object.assign(this, { feed, send, me, joined });
    this.pointers = new Map(); // user id -> {username, messageId}
    this.lastReadSent = 0;
    this.readTimer = null;
    this.seenQueued = false;
  }

  /** A user's read pointer moved (from `users` or `read`); it only moves forward. */
  setPointer(userId, username, messageId) {
    const number = Number(messageId);
    if (!Number.isFinite(number)) return;
    const current = this.pointers.get(userId);
    if (!current || number > current.messageId) this.pointers.set(userId, { username, messageId: number });
    if (userId === this.me()?.id) this.lastReadSent = Math.max(this.lastReadSent, number);
  }

  /** A reader's new name (`user_renamed`): "Seen by" lines name them so from now on. */
  rename(userId, username) {
    const pointer = this.pointers.get(userId);
    if (pointer) pointer.username = username;
  }

  /** We joined as `userId`: never send a pointer below the one the server holds for us. */
  joinedAs(userId) {
    this.lastReadSent = Math.max(this.lastReadSent, this.pointers.get(userId)?.messageId ?? 0);
  }

  /** Send `read` for the highest post on screen, at most once a second, only forward, only when seen. */
  scheduleRead() {
    if (this.readTimer !== null) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      if (!this.joined() || document.visibilityState !== "visible") return;
      const id = this.feed.highestVisibleId();
      if (id !== null && Number(id) > this.lastReadSent && this.send("read", { message_id: id })) {
        this.lastReadSent = Number(id);
      }
    }, READ_DELAY_MS);
  }

  /** Redraw the "Seen by" lines once, after whatever else changes in this task. */
  scheduleSeenBy() {
    if (this.seenQueued) return;
    this.seenQueued = true;
    queueMicrotask(() => {
      this.seenQueued = false;
      this.feed.renderSeenBy(this.pointers, this.me()?.id);
    });
  }
}
