// The wall's page: one socket, handlers keyed by event type, and the parts they drive.

import { Composer } from "./composer.js";
import { Feed } from "./feed.js";
import { Attachment, Lightbox, Upload } from "./images.js";
import { Membership, NamePicker } from "./names.js";
import { Notices } from "./notices.js";
import { Notifier } from "./notify.js";
import { PendingPosts } from "./pending.js";
import { People } from "./people.js";
import { Receipts } from "./receipts.js";
import { closeButton, el, refreshTimes } from "./render.js";
import { WallSocket } from "./socket.js";
import { ConnectionStatus } from "./status.js";
import { Unread } from "./unread.js";

const MAX_POSTS = 3000;
const HISTORY_PAGE = 50;
const LOAD_OLDER_WITHIN_PX = 200;
const TIMES_EVERY_MS = 30_000;
const TOAST_MS = 8000;

const $ = (id) => document.getElementById(id);
const root = $("wall");
const config = {
  contentMax: Number(root.dataset.contentMax) || 2000,
  usernameMin: Number(root.dataset.usernameMin) || 2,
  usernameMax: Number(root.dataset.usernameMax) || 32,
  imageMaxBytes: Number(root.dataset.imageMaxBytes) || 5 * 1024 * 1024,
  imagesUrl: root.dataset.imagesUrl,
};
const ui = {
  me: $("me"),
  meName: $("me-name"),
  peopleToggle: $("people-toggle"),
  people: $("people"),
  feed: $("feed"),
  loadOlder: $("load-older"),
  feedStart: $("feed-start"),
  empty: $("empty"),
  toasts: $("toasts"),
  announcer: $("announcer"),
};

const state = {
  loaded: false, // the first `messages` arrived
  hasMore: false,
  loadingOlder: false,
  deleted: new Set(), // ids removed by moderators, never shown again
};

const status = new ConnectionStatus({
  box: $("status"),
  text: $("status-text"),
  countdown: $("status-countdown"),
  banner: $("outage"),
  bannerText: $("outage-text"),
  retry: $("outage-retry"),
  onRetry: () => socket.retryNow(),
});
const feed = new Feed({
  scroller: ui.feed,
  list: $("posts"),
  onVisible: () => receipts.scheduleRead(),
  onResize: () => unread.render(),
});
const unread = new Unread({ feed, button: $("jump"), countBox: $("jump-count"), icon: $("favicon") });
const notifier = new Notifier({ toggle: $("notify-toggle"), panel: $("notify-panel"), note: $("notify-note") });
const people = new People({
  panel: ui.people,
  list: $("people-list"),
  count: $("people-count"),
  toggleCount: $("people-toggle-count"),
  typingLine: $("typing"),
  staleNote: $("people-stale"),
});
const lightbox = new Lightbox($("lightbox"));
const notices = new Notices($("notices"));
const picker = new NamePicker({
  dialog: $("picker"),
  min: config.usernameMin,
  max: config.usernameMax,
  availabilityUrl: root.dataset.usernamesUrl,
  onChoose: (payload) => membership.request(payload),
});
const membership = new Membership({
  picker,
  send: (type, data) => socket.send(type, data),
  toast,
  restart: () => socket.restart(),
  onChange: () => {
    renderMe();
    composer.render();
  },
});
const receipts = new Receipts({
  feed,
  send: (type, data) => socket.send(type, data),
  me: () => membership.me,
  joined: () => membership.joined,
});
const pending = new PendingPosts({
  list: $("pending"),
  send: (item) =>
    socket.send("message", { content: item.content, client_id: item.clientId, image_id: item.image?.id ?? null }),
  joined: () => membership.joined,
  onEdit: (content, file) => composer.putBack(content, file),
  onChange: () => renderTop(),
});
const attachment = new Attachment({
  box: $("attachment"),
  maxBytes: config.imageMaxBytes,
  upload: (file) => new Upload({ url: config.imagesUrl, file, token: membership.identity?.token ?? "" }),
  onChange: () => composer.render(),
});
const composer = new Composer({
  ui: {
    form: $("composer"),
    draft: $("draft"),
    send: $("send"),
    attach: $("attach"),
    attachInput: $("attach-input"),
    hint: $("composer-hint-text"),
    chooseName: $("choose-name"),
    counter: $("counter"),
    pane: $("wall-pane"),
  },
  contentMax: config.contentMax,
  membership,
  pending,
  attachment,
  picker,
  send: (type) => socket.send(type),
  onSent: () => {
    feed.scrollToBottom();
    unread.clear();
    unread.dismissDivider();
  },
});

const socket = new WallSocket({
  path: root.dataset.socketPath,
  pingAfterMs: Number(root.dataset.pingAfterMs),
  pongWithinMs: Number(root.dataset.pongWithinMs),
  // Resume from the highest confirmed post held, so only what was missed is sent.
  since: () => (state.loaded ? feed.newestId() : null),
  onFrame: ({ type, data }) => {
    const handler = Object.hasOwn(handlers, type) ? handlers[type] : null;
    if (handler) handler(data && typeof data === "object" ? data : {});
  },
  onOpen: () => membership.connected(),
  onClose: () => {
    membership.disconnected();
    state.loadingOlder = false;
    pending.connectionLost();
    people.stale();
    renderTop();
    composer.render();
  },
  onStatus: (connection) => status.set(connection),
});

// --- server events -----------------------------------------------------------------------------------

const handlers = {
  messages(data) {
    const posts = Array.isArray(data.messages) ? data.messages : [];
    if (data.before != null) {
      // An older page: prepend (and swap the button for the start line) without moving the view.
      feed.keepPosition(() => {
        posts.forEach(acceptPost);
        state.loadingOlder = false;
        state.hasMore = Boolean(data.has_more);
        renderTop();
      });
      afterPostsChanged();
      maybeLoadOlder();
      return;
    }
    if (data.reset) feed.clear();
    if (!state.loaded || data.reset || feed.size === 0) {
      state.loaded = true;
      posts.forEach(acceptPost);
      state.hasMore = Boolean(data.has_more);
      feed.scrollToBottom();
      afterPostsChanged();
      maybeLoadOlder();
    } else {
      // A resume: only what was missed, merged by id.
      acceptLive(posts);
    }
  },

  users(data) {
    const users = (Array.isArray(data.users) ? data.users : []).filter((user) => user && user.id != null);
    for (const user of users) if (user.last_read != null) receipts.setPointer(user.id, user.username, user.last_read);
    people.replace(users);
    if (membership.joined) people.setMe(membership.me.id, membership.me.username);
    receipts.scheduleSeenBy();
  },

  welcome(data) {
    const choosing = picker.isOpen;
    membership.welcome(data);
    if (choosing) composer.focus();
    feed.markMine(isMine);
    receipts.joinedAs(data.id);
    people.setMe(data.id, data.username);
    pending.renameAuthor(data.username);
    pending.renderAll();
    pending.flush();
    receipts.scheduleRead();
    receipts.scheduleSeenBy();
  },

  message(data) {
    acceptLive([data.message]);
  },

  message_deleted(data) {
    state.deleted.add(data.id);
    const shown = document.getElementById(`post-${data.id}`)?.querySelector(".post-image-link");
    if (shown) lightbox.closeIf(shown.href);
    if (feed.remove(data.id)) afterPostsChanged();
  },

  user_joined(data) {
    people.add(data.id, data.username);
  },

  user_left(data) {
    people.remove(data.id, data.username);
  },

  typing(data) {
    if (typeof data.username === "string") people.typing(data.id, data.username);
  },

  notice(data) {
    if (typeof data.text === "string") notices.show(data.text);
  },

  pong() {
    // Only proves the connection is alive; socket.js already noted the frame's arrival.
  },

  read(data) {
    receipts.setPointer(data.id, data.username, data.message_id);
    receipts.scheduleSeenBy();
  },

  error(data) {
    if (data.code === "banned") membership.setBanned();
    if (data.code === "invalid_token" && !membership.joining) membership.lost(data.message); // The name was removed.
    if (data.client_id != null && pending.fail(data)) {
      if (data.code === "not_joined") membership.rejoin();
    } else if (membership.answers(data)) {
      // The join flow showed it.
    } else if (data.code === "not_joined" && membership.identity) {
      membership.rejoin();
    } else {
      toast(data.message || `Error: ${data.code}`);
    }
  },
};

// --- posts -------------------------------------------------------------------------------------------

function isPost(post) {
  return (
    post &&
    typeof post.id === "string" &&
    /^\d+$/.test(post.id) &&
    typeof post.author === "string" &&
    typeof post.content === "string" &&
    typeof post.created_at === "string"
  );
}

/** By the name this page joined as, or (before the welcome, after a reload) the one it saved. */
function isMine(post) {
  const name = membership.username;
  return name !== null && post.author.toLowerCase() === name.toLowerCase();
}

/** Put one post on the wall: confirm our pending copy, or place it by id. "mine", "new" or null. */
function acceptPost(post) {
  if (!isPost(post) || state.deleted.has(post.id)) return null;
  people.stopTyping(post.author);
  const element = post.client_id != null ? pending.confirm(post) : null;
  if (element) {
    if (!feed.add(post, { element })) element.remove();
    return "mine";
  }
  if (!feed.add(post, { mine: isMine(post) })) return null;
  return isMine(post) ? "mine" : "new";
}

/** Posts that arrive while the reader is here: follow them at the bottom, or count them as unread. */
function acceptLive(posts) {
  const stick = feed.isAtBottom();
  const fresh = [];
  let mine = false;
  for (const post of posts) {
    const result = acceptPost(post);
    if (result === "mine") mine = true;
    if (result === "new") {
      fresh.push(post);
      ui.announcer.textContent = `${post.author}: ${post.content.slice(0, 200)}`;
      notifier.post(post, membership.username);
    }
  }
  if (stick || mine) {
    if (feed.trim(MAX_POSTS)) state.hasMore = true;
    feed.scrollToBottom();
  }
  if (!(stick || mine) || document.hidden) unread.arrived(fresh);
  afterPostsChanged();
}

function afterPostsChanged() {
  renderTop();
  unread.render();
  receipts.scheduleSeenBy();
}

function maybeLoadOlder() {
  if (ui.feed.scrollTop < LOAD_OLDER_WITHIN_PX) loadOlder();
}

function loadOlder() {
  const before = feed.oldestId();
  if (!state.hasMore || state.loadingOlder || before === null) return;
  if (!socket.send("history", { before, limit: HISTORY_PAGE })) return;
  state.loadingOlder = true;
  renderTop();
}

// --- images: the full size on click --------------------------------------------------------------------

ui.feed.addEventListener("click", (event) => {
  const link = event.target.closest?.(".post-image-link");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const post = link.closest(".post");
  const author = post?.querySelector(".post-author")?.textContent ?? "";
  const content = post?.querySelector(".post-content")?.textContent ?? "";
  lightbox.open(link.href, link.querySelector("img")?.alt ?? "", content ? `${author}: ${content}` : author);
});
// An image without a reserved size (a pending post's preview) grows the feed when it loads.
ui.feed.addEventListener(
  "load",
  (event) => {
    if (event.target instanceof HTMLImageElement && feed.pinned) feed.scrollToBottom();
  },
  true,
);

// --- rendering ---------------------------------------------------------------------------------------

function renderMe() {
  const name = membership.username;
  ui.me.hidden = !name;
  ui.meName.textContent = name ?? "";
}

function renderTop() {
  ui.loadOlder.hidden = !state.hasMore;
  ui.loadOlder.disabled = state.loadingOlder || !socket.isOpen();
  ui.loadOlder.textContent = state.loadingOlder ? "Loading…" : "Load older posts";
  ui.feedStart.hidden = state.hasMore || feed.size === 0;
  ui.empty.hidden = !state.loaded || feed.size > 0 || pending.size > 0;
}

function toast(message) {
  // The same refusal on every reconnect attempt shows once.
  if ([...ui.toasts.querySelectorAll(".toast-text")].some((text) => text.textContent === message)) return;
  const box = el("div", "toast");
  const close = closeButton("toast-close", "Dismiss");
  close.addEventListener("click", () => box.remove());
  box.append(el("p", "toast-text", message), close);
  ui.toasts.append(box);
  while (ui.toasts.children.length > 3) ui.toasts.firstElementChild.remove();
  setTimeout(() => box.remove(), TOAST_MS);
}

// --- page events and timers --------------------------------------------------------------------------

ui.feed.addEventListener(
  "scroll",
  () => {
    if (feed.isAtBottom() && !document.hidden) unread.clear();
    else unread.render();
    maybeLoadOlder();
  },
  { passive: true },
);
ui.loadOlder.addEventListener("click", loadOlder);

// The people drawer (phones): the toggle opens it; a tap outside it or Escape closes it.
function setDrawer(open) {
  ui.people.classList.toggle("is-open", open);
  ui.peopleToggle.setAttribute("aria-expanded", String(open));
}
ui.peopleToggle.addEventListener("click", () => setDrawer(!ui.people.classList.contains("is-open")));
document.addEventListener("click", (event) => {
  const outside = !ui.people.contains(event.target) && !ui.peopleToggle.contains(event.target);
  if (outside && ui.people.classList.contains("is-open")) setDrawer(false);
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !ui.people.classList.contains("is-open")) return;
  setDrawer(false);
  ui.peopleToggle.focus();
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  if (feed.isAtBottom()) unread.clear();
  receipts.scheduleRead();
});
addEventListener("focus", () => receipts.scheduleRead());

setInterval(() => {
  refreshTimes(ui.feed);
  feed.relayout();
}, TIMES_EVERY_MS);
// Once a second: the reconnect countdown and the end of a rate-limit wait. (Dead connections are
// socket.js's business: it pings a quiet socket and replaces one that does not answer.)
setInterval(() => {
  status.tick();
  pending.tick();
}, 1000);

// --- start -------------------------------------------------------------------------------------------

composer.restore();
pending.restore(membership.username ?? "You");
renderMe();
people.render();
status.render();
renderTop();
if (!membership.identity) picker.open();
socket.connect();
