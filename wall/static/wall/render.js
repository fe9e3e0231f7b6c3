// Building the wall's elements from posts: text only ever goes in through textContent.

import { showReactions } from "./reactions.js";
import { confirmContent, contentElement } from "./richtext.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", year: "numeric" });
const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "short", day: "numeric" });
const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

/** A button that shows "×" but is named `label` (the symbol is hidden from assistive technology). */
export function closeButton(className, label) {
  const button = el("button", className);
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.title = label;
  const symbol = el("span", null, "×");
  symbol.setAttribute("aria-hidden", "true");
  button.append(symbol);
  return button;
}

/** "Today", "Yesterday", "Monday, Nov 3" or "Nov 3, 2025": the label of a day divider. */
export function dayLabel(date, now = new Date()) {
  const start = (day) => new Date(day.getFullYear(), day.getMonth(), day.getDate()).getTime();
  const days = Math.round((start(now) - start(date)) / DAY);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return weekdayFormat.format(date);
  return dateFormat.format(date);
}

/** Make an element with a class and optional text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** "just now", "3 min ago", "2 h ago", "Tue 14:05" or "Nov 3, 2026". */
export function relativeTime(date, now = Date.now()) {
  const age = now - date.getTime();
  if (age < 45_000) return "just now";
  if (age < HOUR) return `${Math.max(1, Math.round(age / MINUTE))} min ago`;
  if (age < DAY) return `${Math.floor(age / HOUR)} h ago`;
  if (age < 6 * DAY) return dayFormat.format(date);
  return dateFormat.format(date);
}

/** Rewrite every relative time under `root`; called every 30 s. */
export function refreshTimes(root, now = Date.now()) {
  for (const time of root.querySelectorAll("time[datetime]")) {
    const text = relativeTime(new Date(time.dateTime), now);
    if (time.textContent !== text) time.textContent = text;
  }
}

/** A stable hue per name, so each author keeps one avatar colour. */
export function nameHue(name) {
  let hash = 2166136261;
  for (const char of name.toLowerCase()) hash = Math.imul(hash ^ char.codePointAt(0), 16777619);
  return (hash >>> 0) % 360;
}

export function avatar(name) {
  const node = el("span", "avatar", [...name][0]?.toUpperCase() ?? "?");
  node.setAttribute("aria-hidden", "true");
  node.style.setProperty("--hue", String(nameHue(name)));
  return node;
}

/** Only images served by this site are shown (the server sends /media/... paths). */
function sameOriginUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, location.href);
    return url.origin === location.origin ? url.href : null;
  } catch {
    return null;
  }
}

/** The element for one post (or a pending one, which has no id yet). */
export function postElement(post, { mine = false } = {}) {
  const item = el("article", "post");
  item.classList.toggle("is-mine", mine);
  item.append(avatar(post.author));

  const body = el("div", "post-body");
  const head = el("p", "post-head");
  const created = new Date(post.created_at);
  const time = el("time", "post-time", relativeTime(created));
  time.dateTime = created.toISOString();
  time.title = exactFormat.format(created);
  head.append(el("span", "post-author", post.author), time);
  body.append(head);

  if (post.content) body.append(contentElement(post));
  const image = imageLink(post);
  if (image) body.append(image);
  body.append(el("div", "post-foot"));
  item.append(body);
  setPostId(item, post);
  return item;
}

/** Show `post`'s text (an edit) in its element, keeping everything else. */
export function setPostContent(item, post) {
  const current = item.querySelector(".post-content");
  if (!post.content) {
    current?.remove();
    return;
  }
  const next = contentElement(post); // its links and mentions (richtext.js)
  if (current) current.replaceWith(next);
  else item.querySelector(".post-image-link, .post-foot")?.before(next);
  // An image's alt text is the post's text.
  const img = item.querySelector(".post-image");
  if (img) img.alt = post.content.slice(0, 500);
}

// The largest box a thumbnail is shown in (wall.css .post-image: max-width and max-height).
const IMAGE_BOX = { width: 360, height: 270 };

function pixels(value) {
  return Number.isInteger(value) && value > 0 && value <= 10_000 ? value : null;
}

/**
 * The post's image: its thumbnail (or, while pending, the local preview), linking to the full size.
 * The alt text is the post's text. The thumbnail's size is reserved so nothing moves when it loads.
 */
function imageLink(post) {
  const full = sameOriginUrl(post.image);
  if (!full) return null;
  const thumbnail = post.thumbnail && typeof post.thumbnail === "object" ? post.thumbnail : {};
  const link = el("a", "post-image-link");
  link.href = full;
  link.tabIndex = -1; // The post is the Tab stop; Enter on it opens the image.
  link.target = "_blank";
  link.rel = "noopener";
  const img = el("img", "post-image");
  img.src = sameOriginUrl(thumbnail.url) ?? full;
  img.alt = post.content ? post.content.slice(0, 500) : `Image posted by ${post.author}`;
  const [width, height] = [pixels(thumbnail.width), pixels(thumbnail.height)];
  if (width && height) {
    // The box is sized before the image arrives, so nothing below it moves when it loads: the shown
    // width fits IMAGE_BOX (narrower columns shrink it through max-width), the ratio gives the height.
    img.width = width;
    img.height = height;
    const scale = Math.min(1, IMAGE_BOX.width / width, IMAGE_BOX.height / height);
    img.style.setProperty("width", `${Math.round(width * scale)}px`);
    img.style.setProperty("aspect-ratio", `${width} / ${height}`);
  }
  img.loading = "lazy";
  img.decoding = "async";
  link.append(img);
  return link;
}

/** Show the image `post` has (the server's thumbnail in place of a pending preview), or none. */
export function setPostImage(item, post) {
  const current = item.querySelector(".post-image-link");
  const next = imageLink(post);
  if (current && next) current.replaceWith(next);
  else if (current) current.remove();
  else if (next) item.querySelector(".post-foot").before(next);
}

/** Give an element its confirmed post id and server time. */
export function setPostId(item, post) {
  if (post.id == null) return;
  item.dataset.id = post.id;
  item.id = `post-${post.id}`;
  showReactions(item, post);
  confirmContent(item, post);
  const time = item.querySelector("time");
  const created = new Date(post.created_at);
  if (time && !Number.isNaN(created.getTime())) {
    time.dateTime = created.toISOString();
    time.title = exactFormat.format(created);
    time.textContent = relativeTime(created);
  }
}

/**
 * Show a pending post's state in its footer: sending, waiting, or failed with actions.
 * `actions` is a list of [label, handler, {disabled}] tuples.
 */
export function setPendingStatus(item, { text, tone = "", actions = [] }) {
  const foot = item.querySelector(".post-foot");
  let status = foot.querySelector(".post-status");
  if (!status) {
    status = el("div", "post-status");
    foot.prepend(status);
  }
  status.className = `post-status ${tone}`.trim();
  const label = el("span", "post-status-text", text);
  const buttons = actions.map(([name, onClick, options = {}]) => {
    const button = el("button", "link-button", name);
    button.type = "button";
    button.disabled = Boolean(options.disabled);
    button.addEventListener("click", onClick);
    return button;
  });
  status.replaceChildren(label, ...buttons);
}

export function clearPendingStatus(item) {
  item.querySelector(".post-status")?.remove();
}

/** "Seen by N" under a post, with the names in a tooltip; null removes it. */
export function setSeenBy(item, names) {
  const foot = item.querySelector(".post-foot");
  let seen = foot.querySelector(".seen-by");
  if (!names || names.length === 0) {
    seen?.remove();
    return;
  }
  if (!seen) {
    seen = el("p", "seen-by");
    foot.append(seen);
  }
  seen.textContent = `Seen by ${names.length}`;
  seen.title = names.join(", ");
  seen.setAttribute("aria-label", `Seen by ${names.join(", ")}`);
}

/** "Bob is typing…", "Bob and Mary are typing…", "3 people are typing…". */
export function typingText(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
