// The list of posts: one element per post id, in id order, grouped by author and day, with scrolling,
// keyboard moves between posts (a role="feed" list), visibility and "seen by".

import { showMeta } from "./postmeta.js";
import { dayLabel, el, postElement, setPostContent, setPostId, setSeenBy } from "./render.js";

const BOTTOM_SLACK_PX = 48;
// A post continues its author's group when it follows their previous one within this time, the same day.
const GROUP_WITHIN_MS = 5 * 60_000;
const PAGE_STEP = 10;

function sameDay(a, b) {
  return a.toDateString() === b.toDateString();
}

/** The divider (day or "New") at the top of a post, created or removed on demand. */
function setDivider(item, className, text) {
  let divider = item.querySelector(`:scope > .${className}`);
  if (!text) {
    divider?.remove();
    return;
  }
  if (!divider) {
    divider = el("p", `divider ${className}`);
    item.prepend(divider);
    if (className === "new-divider") item.querySelector(":scope > .day-divider")?.after(divider);
  }
  if (divider.textContent !== text) divider.textContent = text;
}

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
  /** onVisible() runs when the set of posts on screen changes, onResize() when the feed or its content resizes. */
  constructor({ scroller, list, onVisible, onResize = () => {} }) {
    Object.assign(this, { scroller, list, onVisible });
    this.ids = []; // Numeric ids, ascending.
    this.items = new Map(); // id string -> {post, el}
    this.visible = new Set(); // ids (numbers) at least half on screen
    this.seen = new Set(); // elements that carry a "seen by" line
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), {
      root: scroller,
      threshold: [0, 0.5, 1],
    });
    // When the feed gets shorter (the composer grows, a phone keyboard opens) or its content taller
    // (an image loads, a post arrives), a reader at the bottom stays at the bottom.
    this.pinned = true;
    scroller.addEventListener("scroll", () => (this.pinned = this.isAtBottom()), { passive: true });
    const stay = new ResizeObserver(() => {
      if (this.pinned) this.scrollToBottom();
      onResize();
    });
    stay.observe(scroller);
    stay.observe(list.parentElement);
    this.current = null; // the post that is the feed's Tab stop (roving tabindex)
    this.newId = null; // the post under the "New" divider
    list.addEventListener("keydown", (event) => this.onKey(event));
    list.addEventListener("focusin", (event) => {
      const post = event.target.closest?.(".post[data-id]");
      if (post) this.setCurrent(post);
    });
  }

  get size() {
    return this.ids.length;
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
    showMeta(item, post);
    item.tabIndex = -1;
    const next = index < this.ids.length ? this.items.get(String(this.ids[index])).el : null;
    this.list.insertBefore(item, next);
    this.ids.splice(index, 0, number);
    this.items.set(post.id, { post, el: item });
    this.observer.observe(item);
    this.layout(index);
    this.layout(index + 1);
    const browsing = this.list.contains(document.activeElement);
    if (this.current === null || (index === this.ids.length - 1 && !browsing)) this.setCurrent(item);
    this.syncRole();
    return true;
  }

  /** A shown post changed (its author edited it, or its quote's original was removed): show it as
   *  `post` now is. False when it is not shown (never loaded, trimmed or removed: nothing to add). */
  update(post) {
    const entry = this.items.get(post.id);
    if (!entry) return false;
    entry.post = { ...entry.post, ...post };
    setPostContent(entry.el, entry.post);
    showMeta(entry.el, entry.post);
    return true;
  }

  /** The shown post `id` ({post, el}), or null. */
  entry(id) {
    return this.items.get(id) ?? null;
  }

  /** A feed with no article is an ARIA error (axe: aria-required-children): the role, and the name
   * that goes with it, are there only while there are posts. */
  syncRole() {
    if (this.ids.length) {
      this.list.setAttribute("role", "feed");
      this.list.setAttribute("aria-label", "Posts");
    } else {
      this.list.removeAttribute("role");
      this.list.removeAttribute("aria-label");
    }
  }

  entryAt(index) {
    return index >= 0 && index < this.ids.length ? this.items.get(String(this.ids[index])) : null;
  }

  /** The day divider and the author grouping of the post at `index`, from the post before it. */
  layout(index, now = new Date()) {
    const entry = this.entryAt(index);
    if (!entry) return;
    const previous = this.entryAt(index - 1);
    const created = new Date(entry.post.created_at);
    const before = previous ? new Date(previous.post.created_at) : null;
    const newDay = !before || !sameDay(before, created);
    setDivider(entry.el, "day-divider", newDay ? dayLabel(created, now) : null);
    const gap = before ? created - before : Infinity;
    const continued =
      !newDay &&
      entry.post.id !== this.newId &&
      previous.post.author === entry.post.author &&
      gap >= 0 &&
      gap < GROUP_WITHIN_MS;
    entry.el.classList.toggle("is-continued", continued);
  }

  /** Every divider again (the day changed: "Today" becomes "Yesterday"). */
  relayout() {
    const now = new Date();
    for (let index = 0; index < this.ids.length; index += 1) this.layout(index, now);
  }

  /** Mark the reader's own posts (known once the page knows its name). */
  markMine(isMine) {
    for (const { post, el: item } of this.items.values()) item.classList.toggle("is-mine", isMine(post));
  }

  /** Put the "New" divider above post `id` (null removes it). */
  markNew(id) {
    const old = this.newId;
    this.newId = id;
    for (const marked of [old, id]) {
      const entry = marked === null ? null : this.items.get(marked);
      if (!entry) continue;
      setDivider(entry.el, "new-divider", marked === id ? "New" : null);
      this.layout(lowerBound(this.ids, Number(marked)));
    }
  }

  // --- keyboard: the feed is one Tab stop; arrows, Page Up/Down, Home and End move between posts -----

  setCurrent(item) {
    if (this.current === item) return;
    if (this.current) this.current.tabIndex = -1;
    this.current = item;
    item.tabIndex = 0;
  }

  onKey(event) {
    const post = event.target.closest?.(".post[data-id]");
    if (!post || event.target !== post || event.altKey || event.ctrlKey || event.metaKey) return;
    const index = lowerBound(this.ids, Number(post.dataset.id));
    const moves = { ArrowUp: -1, ArrowDown: 1, PageUp: -PAGE_STEP, PageDown: PAGE_STEP };
    let target = null;
    if (event.key in moves) target = Math.min(this.ids.length - 1, Math.max(0, index + moves[event.key]));
    else if (event.key === "Home") target = 0;
    else if (event.key === "End") target = this.ids.length - 1;
    else if (event.key === "Enter" && post.querySelector(".post-image-link")) {
      // Without preventDefault the same Enter would press the viewer's close button, focused by then.
      event.preventDefault();
      post.querySelector(".post-image-link").click();
    }
    if (target === null) return;
    event.preventDefault();
    const next = this.entryAt(target).el;
    this.setCurrent(next);
    next.focus();
  }

  remove(id) {
    const entry = this.items.get(id);
    if (!entry) return false;
    this.observer.unobserve(entry.el);
    const focused = entry.el.contains(document.activeElement);
    entry.el.remove();
    this.seen.delete(entry.el);
    this.items.delete(id);
    const number = Number(id);
    const index = lowerBound(this.ids, number);
    this.ids.splice(index, 1);
    this.visible.delete(number);
    this.layout(index);
    if (this.current === entry.el) {
      this.current = null;
      const next = this.entryAt(Math.min(index, this.ids.length - 1));
      if (next) this.setCurrent(next.el);
      if (next && focused) next.el.focus();
    }
    this.syncRole();
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
