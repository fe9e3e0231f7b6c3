// The list of posts: one element per post id, in id order, with scrolling, visibility and "seen by".

import { postElement, setPostId, setSeenBy } from "./render.js";

const BOTTOM_SLACK_PX = 48;

/** Index of the first value in the sorted `values` that is >= `target`. */
function lowerBound(values, target) {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid] < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

export class Feed {
  /** onVisible() runs when the set of posts on screen changes. */
  constructor({ scroller, list, onVisible }) {
    Object.assign(this, { scroller, list, onVisible });
    this.ids = []; // Numeric ids, ascending.
    this.items = new Map(); // id string -> {post, el}
    this.visible = new Set(); // ids (numbers) at least half on screen
    this.seen = new Set(); // elements that carry a "seen by" line
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), {
      root: scroller,
      threshold: [0, 0.5, 1],
    });
    // When the feed gets shorter (the composer grows, a phone keyboard opens), stay at the bottom.
    this.pinned = true;
    scroller.addEventListener("scroll", () => (this.pinned = this.isAtBottom()), { passive: true });
    new ResizeObserver(() => this.pinned && this.scrollToBottom()).observe(scroller);
  }

  get size() {
    return this.ids.length;
  }

  has(id) {
    return this.items.has(id);
  }

  oldestId() {
    return this.ids.length ? String(this.ids[0]) : null;
  }

  newestId() {
    return this.ids.length ? String(this.ids[this.ids.length - 1]) : null;
  }

  /** Place a confirmed post by id; `element` reuses a pending post's element. False if already shown. */
  add(post, { mine = false, element = null } = {}) {
    if (this.items.has(post.id)) return false;
    const number = Number(post.id);
    const index = lowerBound(this.ids, number);
    const item = element ?? postElement(post, { mine });
    if (element) setPostId(item, post);
    const next = index < this.ids.length ? this.items.get(String(this.ids[index])).el : null;
    this.list.insertBefore(item, next);
    this.ids.splice(index, 0, number);
    this.items.set(post.id, { post, el: item });
    this.observer.observe(item);
    return true;
  }

  remove(id) {
    const entry = this.items.get(id);
    if (!entry) return false;
    this.observer.unobserve(entry.el);
    entry.el.remove();
    this.seen.delete(entry.el);
    this.items.delete(id);
    const number = Number(id);
    this.ids.splice(lowerBound(this.ids, number), 1);
    this.visible.delete(number);
    return true;
  }

  clear() {
    for (const id of [...this.items.keys()]) this.remove(id);
  }

  /** Drop the oldest posts beyond `max`; returns how many went. */
  trim(max) {
    let dropped = 0;
    while (this.ids.length > max) {
      this.remove(String(this.ids[0]));
      dropped += 1;
    }
    return dropped;
  }

  /** The highest id at least half on screen, or null. */
  highestVisibleId() {
    let best = null;
    for (const id of this.visible) if (best === null || id > best) best = id;
    return best === null ? null : String(best);
  }

  onIntersect(entries) {
    let changed = false;
    for (const entry of entries) {
      const id = Number(entry.target.dataset.id);
      if (!entry.target.dataset.id) continue;
      const rootHeight = entry.rootBounds?.height ?? 0;
      const onScreen =
        entry.isIntersecting &&
        (entry.intersectionRatio >= 0.5 || entry.intersectionRect.height >= rootHeight / 2);
      if (onScreen !== this.visible.has(id)) {
        changed = true;
        if (onScreen) this.visible.add(id);
        else this.visible.delete(id);
      }
    }
    if (changed) this.onVisible();
  }

  // --- scrolling ---------------------------------------------------------------------------------

  isAtBottom() {
    const { scrollTop, scrollHeight, clientHeight } = this.scroller;
    return scrollHeight - scrollTop - clientHeight <= BOTTOM_SLACK_PX;
  }

  scrollToBottom({ smooth = false } = {}) {
    this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: smooth ? "smooth" : "instant" });
  }

  /** Run `change` (which adds posts above) without moving what the reader is looking at. */
  keepPosition(change) {
    const before = this.scroller.scrollHeight;
    const top = this.scroller.scrollTop;
    change();
    this.scroller.scrollTop = top + (this.scroller.scrollHeight - before);
  }

  // --- read receipts -----------------------------------------------------------------------------

  /**
   * Each reader appears under the highest post on the page at or below their read pointer that
   * they did not write themselves. `pointers` maps user id -> {username, messageId}.
   */
  renderSeenBy(pointers, skipUserId) {
    const groups = new Map(); // element -> names
    for (const [userId, { username, messageId }] of pointers) {
      if (userId === skipUserId) continue;
      let index = lowerBound(this.ids, Number(messageId) + 1) - 1;
      while (index >= 0 && this.items.get(String(this.ids[index])).post.author === username) index -= 1;
      if (index < 0) continue;
      const entry = this.items.get(String(this.ids[index]));
      if (!groups.has(entry.el)) groups.set(entry.el, []);
      groups.get(entry.el).push(username);
    }
    for (const element of this.seen) if (!groups.has(element)) setSeenBy(element, null);
    for (const [element, names] of groups) {
      names.sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
      setSeenBy(element, names);
    }
    this.seen = new Set(groups.keys());
  }
}
