// The wall's page: one socket, handlers keyed by event type, and the composer, feed and people they drive.

import { Feed } from "./feed.js";
import { Attachment, imageFile, Lightbox, Upload } from "./images.js";
import { forgetIdentity, loadIdentity, NamePicker, saveIdentity } from "./names.js";
import { Notices } from "./notices.js";
import { Outbox } from "./outbox.js";
import { People } from "./people.js";
import { el, refreshTimes } from "./render.js";
import { WallSocket } from "./socket.js";
import { isBlank } from "./text.js";

const MAX_POSTS = 3000;
const HISTORY_PAGE = 50;
const LOAD_OLDER_WITHIN_PX = 200;
const TYPING_EVERY_MS = 2000;
const READ_DELAY_MS = 1000;
const TIMES_EVERY_MS = 30_000;
const STALL_MS = 10_000;
const TOAST_MS = 8000;
const DRAFT_KEY = "wall.draft";
const JOIN_ERRORS = new Set([
  "username_taken",
  "invalid_username",
  "invalid_token",
  "banned",
  "unavailable",
  "rate_limited",
]);

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
  status: $("status"),
  statusText: $("status-text"),
  statusCountdown: $("status-countdown"),
  me: $("me"),
  meName: $("me-name"),
  peopleToggle: $("people-toggle"),
  people: $("people"),
  pane: $("wall-pane"),
  feed: $("feed"),
  loadOlder: $("load-older"),
  feedStart: $("feed-start"),
  empty: $("empty"),
  pill: $("new-pill"),
  composer: $("composer"),
  draft: $("draft"),
  send: $("send"),
  attach: $("attach"),
  attachInput: $("attach-input"),
  hint: $("composer-hint-text"),
  chooseName: $("choose-name"),
  counter: $("counter"),
  toasts: $("toasts"),
  notices: $("notices"),
  announcer: $("announcer"),
};
const baseTitle = document.title;

const state = {
  identity: loadIdentity(), // {username, token}, saved after a welcome
  me: null, // {id, username} once a socket has joined
  joined: false, // this socket has joined
  joining: null, // the join payload waiting for its answer
  banned: false,
  loaded: false, // the first `messages` arrived
  hasMore: false,
  loadingOlder: false,
  pointers: new Map(), // user id -> {username, messageId}: read pointers
  deleted: new Set(), // ids removed by moderators, never shown again
  unread: 0,
  lastReadSent: 0,
  lastTypingSent: 0,
  readTimer: null,
  seenQueued: false,
  connection: { state: "connecting", retryAt: null },
};

const feed = new Feed({ scroller: ui.feed, list: $("posts"), onVisible: () => scheduleRead() });

const people = new People({
  panel: ui.people,
  list: $("people-list"),
  count: $("people-count"),
  toggleCount: $("people-toggle-count"),
  typingLine: $("typing"),
});

const outbox = new Outbox({
  list: $("pending"),
  send: (item) =>
    socket.send("message", { content: item.content, client_id: item.clientId, image_id: item.image?.id ?? null }),
  joined: () => state.joined,
  onEdit: (content, file) => {
    const draft = ui.draft.value.trim();
    ui.draft.value = draft ? `${content}\n${draft}` : content;
    if (file) attachment.attach(file);
    onDraftInput();
    ui.draft.focus();
  },
  onChange: () => renderTop(),
});

const attachment = new Attachment({
  box: $("attachment"),
  maxBytes: config.imageMaxBytes,
  upload: (file) => new Upload({ url: config.imagesUrl, file, token: state.identity?.token ?? "" }),
  onChange: () => renderComposer(),
});

const lightbox = new Lightbox($("lightbox"));
const notices = new Notices(ui.notices);

const picker = new NamePicker({
  dialog: $("picker"),
  min: config.usernameMin,
  max: config.usernameMax,
  availabilityUrl: root.dataset.usernamesUrl,
  onChoose: (payload) => requestJoin(payload),
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
  onOpen: () => {
    if (state.joining) socket.send("join", state.joining);
    else if (state.identity) requestJoin({ token: state.identity.token });
  },
  onClose: () => {
    state.joined = false;
    state.loadingOlder = false;
    outbox.connectionLost();
    people.stale();
    renderTop();
    renderComposer();
  },
  onStatus: (connection) => {
    state.connection = connection;
    renderStatus();
  },
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
    for (const user of users) if (user.last_read != null) setPointer(user.id, user.username, user.last_read);
    people.replace(users);
    if (state.joined) people.setMe(state.me.id, state.me.username);
    scheduleSeenBy();
  },

  welcome(data) {
    state.me = { id: data.id, username: data.username };
    state.joined = true;
    state.joining = null;
    state.banned = false;
    state.identity = { username: data.username, token: data.token };
    saveIdentity(state.identity);
    state.lastReadSent = Math.max(state.lastReadSent, state.pointers.get(data.id)?.messageId ?? 0);
    people.setMe(data.id, data.username);
    outbox.renameAuthor(data.username);
    picker.close();
    renderMe();
    renderComposer();
    outbox.renderAll();
    outbox.flush();
    scheduleRead();
    scheduleSeenBy();
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
    setPointer(data.id, data.username, data.message_id);
    if (data.id === state.me?.id) state.lastReadSent = Math.max(state.lastReadSent, Number(data.message_id));
    scheduleSeenBy();
  },

  error(data) {
    if (data.code === "banned") {
      state.banned = true;
      renderComposer();
    }
    if (data.code === "invalid_token" && !state.joining) identityLost(data.message); // The name was removed.
    if (data.client_id != null && outbox.fail(data)) {
      if (data.code === "not_joined" && state.identity) requestJoin({ token: state.identity.token });
    } else if (state.joining && JOIN_ERRORS.has(data.code)) {
      joinFailed(data);
    } else if (data.code === "not_joined" && state.identity) {
      requestJoin({ token: state.identity.token });
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

function isMine(post) {
  return state.me !== null && post.author.toLowerCase() === state.me.username.toLowerCase();
}

/** Put one post on the wall: confirm our pending copy, or place it by id. "mine", "new" or null. */
function acceptPost(post) {
  if (!isPost(post) || state.deleted.has(post.id)) return null;
  people.stopTyping(post.author);
  const pending = post.client_id != null ? outbox.confirm(post) : null;
  if (pending) {
    if (!feed.add(post, { element: pending })) pending.remove();
    return "mine";
  }
  if (!feed.add(post, { mine: isMine(post) })) return null;
  return isMine(post) ? "mine" : "new";
}

/** Posts that arrive while the reader is here: follow them at the bottom, or count them as unread. */
function acceptLive(posts) {
  const stick = feed.isAtBottom();
  let fresh = 0;
  let mine = false;
  for (const post of posts) {
    const result = acceptPost(post);
    if (result === "mine") mine = true;
    if (result === "new") {
      fresh += 1;
      ui.announcer.textContent = `${post.author}: ${post.content.slice(0, 200)}`;
    }
  }
  if (stick || mine) {
    if (feed.trim(MAX_POSTS)) state.hasMore = true;
    feed.scrollToBottom();
  }
  if (fresh && (!(stick || mine) || document.hidden)) state.unread += fresh;
  afterPostsChanged();
}

function afterPostsChanged() {
  renderTop();
  renderUnread();
  scheduleSeenBy();
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

// --- joining -----------------------------------------------------------------------------------------

function requestJoin(payload) {
  state.joining = payload;
  socket.send("join", payload);
}

function joinFailed(error) {
  const payload = state.joining;
  state.joining = null;
  if (error.code === "invalid_token") {
    identityLost("Your saved name is no longer yours. Choose a name again.");
  } else if (error.code === "banned") {
    state.banned = true;
    picker.close();
    renderComposer();
    toast(error.message);
  } else if (picker.isOpen) {
    picker.showError(error.message);
  } else if (error.code === "unavailable" && payload?.token) {
    setTimeout(() => state.joined || state.joining || requestJoin(payload), 3000);
  } else {
    toast(error.message);
  }
}

/** The saved token owns no name any more: forget it and ask for a name again. */
function identityLost(message) {
  forgetIdentity();
  state.identity = null;
  state.me = null;
  renderMe();
  renderComposer();
  picker.open(message);
  // A socket that joined keeps its old name; a fresh one can take a new name.
  if (state.joined) socket.restart();
}

// --- composer ----------------------------------------------------------------------------------------

function draftLength() {
  return [...ui.draft.value.trim()].length;
}

function hasName() {
  return Boolean(state.identity || state.me) && !state.banned;
}

function submit() {
  if (!hasName()) {
    picker.open();
    return;
  }
  const content = ui.draft.value.trim();
  const length = [...content].length;
  if (attachment.present && !attachment.ready) return; // The composer shows why it cannot be posted.
  if ((isBlank(content) && !attachment.ready) || length > config.contentMax) return;
  const image = attachment.ready ? attachment.take() : null;
  outbox.add(
    content,
    state.me?.username ?? state.identity.username,
    image && { preview: image.preview, upload: image.upload },
  );
  ui.draft.value = "";
  onDraftInput();
  feed.scrollToBottom();
  clearUnread();
}

function onDraftInput() {
  try {
    if (ui.draft.value) localStorage.setItem(DRAFT_KEY, ui.draft.value);
    else localStorage.removeItem(DRAFT_KEY);
  } catch {
    // No storage (private mode): the draft lasts for this page only.
  }
  ui.draft.style.height = "auto";
  ui.draft.style.height = `${Math.min(ui.draft.scrollHeight, 220)}px`;
  renderComposer();
}

function sendTyping() {
  const now = Date.now();
  if (!state.joined || isBlank(ui.draft.value) || now - state.lastTypingSent < TYPING_EVERY_MS) return;
  if (socket.send("typing")) state.lastTypingSent = now;
}

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
ui.draft.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit();
  }
});
ui.draft.addEventListener("input", () => {
  onDraftInput();
  sendTyping();
});
ui.chooseName.addEventListener("click", () => picker.open());

// --- images: paste, drop or pick; the full size on click ----------------------------------------------

function attachImage(file) {
  if (!hasName()) {
    if (!state.banned) picker.open();
    return;
  }
  attachment.attach(file);
  ui.draft.focus();
}

ui.attach.addEventListener("click", () => ui.attachInput.click());
ui.attachInput.addEventListener("change", () => {
  const file = ui.attachInput.files[0];
  ui.attachInput.value = "";
  if (file) attachImage(file);
});
// A pasted screenshot or copied image; a paste that also carries plain text (from an office
// program, which adds a picture of the text) stays a text paste.
document.addEventListener("paste", (event) => {
  const file = imageFile(event.clipboardData);
  if (!file || picker.isOpen || event.clipboardData.types.includes("text/plain")) return;
  event.preventDefault();
  attachImage(file);
});

let dragDepth = 0;
const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
function dropping(on) {
  ui.pane.classList.toggle("is-dropping", on);
  if (!on) dragDepth = 0;
}
ui.pane.addEventListener("dragenter", (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  dragDepth += 1;
  dropping(true);
});
ui.pane.addEventListener("dragover", (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "copy";
});
ui.pane.addEventListener("dragleave", () => {
  dragDepth -= 1;
  if (dragDepth <= 0) dropping(false);
});
ui.pane.addEventListener("drop", (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  dropping(false);
  const file = imageFile(event.dataTransfer) ?? event.dataTransfer.files[0];
  if (file) attachImage(file);
});

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

// --- read receipts -----------------------------------------------------------------------------------

function setPointer(userId, username, messageId) {
  const number = Number(messageId);
  if (!Number.isFinite(number)) return;
  const current = state.pointers.get(userId);
  if (!current || number > current.messageId) state.pointers.set(userId, { username, messageId: number });
}

/** Send `read` for the highest post on screen, at most once a second, only forward, only when seen. */
function scheduleRead() {
  if (state.readTimer !== null) return;
  state.readTimer = setTimeout(() => {
    state.readTimer = null;
    if (!state.joined || document.visibilityState !== "visible") return;
    const id = feed.highestVisibleId();
    if (id !== null && Number(id) > state.lastReadSent && socket.send("read", { message_id: id })) {
      state.lastReadSent = Number(id);
    }
  }, READ_DELAY_MS);
}

function scheduleSeenBy() {
  if (state.seenQueued) return;
  state.seenQueued = true;
  queueMicrotask(() => {
    state.seenQueued = false;
    feed.renderSeenBy(state.pointers, state.me?.id);
  });
}

// --- rendering ---------------------------------------------------------------------------------------

function renderStatus() {
  const { state: connection, retryAt } = state.connection;
  ui.status.dataset.state = connection;
  const text = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting" }[connection];
  const seconds = retryAt ? Math.ceil((retryAt - Date.now()) / 1000) : 0;
  const countdown = connection === "reconnecting" ? (seconds > 0 ? ` in ${seconds} s` : "…") : "";
  if (ui.statusText.textContent !== text) ui.statusText.textContent = text;
  if (ui.statusCountdown.textContent !== countdown) ui.statusCountdown.textContent = countdown;
}

function renderMe() {
  const name = state.me?.username ?? state.identity?.username;
  ui.me.hidden = !name;
  ui.meName.textContent = name ?? "";
}

function renderComposer() {
  const named = hasName();
  const length = draftLength();
  const max = config.contentMax;
  ui.draft.disabled = !named;
  ui.draft.placeholder = named ? "Write a post…" : "Choose a name to post";
  const refusedImage = attachment.present && !attachment.ready;
  const blank = isBlank(ui.draft.value);
  ui.send.disabled = !named || (blank && !attachment.ready) || length > max || refusedImage;
  ui.attach.disabled = !named;
  ui.counter.textContent = `${length} / ${max}`;
  ui.counter.classList.toggle("is-near", length >= max * 0.9 && length <= max);
  ui.counter.classList.toggle("is-over", length > max);
  ui.chooseName.hidden = named || state.banned;
  let hint = "Enter to send, Shift+Enter for a new line; paste or drop an image";
  if (state.banned) hint = "This name is banned from the wall.";
  else if (!named) hint = "Reading only.";
  else if (length > max) hint = `Too long by ${length - max} characters.`;
  else if (refusedImage) hint = "Remove the image to send.";
  else if (!state.joined) hint = "Posts wait here until the wall is back.";
  ui.hint.textContent = hint;
}

function renderTop() {
  ui.loadOlder.hidden = !state.hasMore;
  ui.loadOlder.disabled = state.loadingOlder || !socket.isOpen();
  ui.loadOlder.textContent = state.loadingOlder ? "Loading…" : "Load older posts";
  ui.feedStart.hidden = state.hasMore || feed.size === 0;
  ui.empty.hidden = !state.loaded || feed.size > 0 || outbox.size > 0;
}

function clearUnread() {
  state.unread = 0;
  renderUnread();
}

function renderUnread() {
  const count = state.unread;
  ui.pill.hidden = count === 0 || feed.isAtBottom();
  ui.pill.textContent = `${count} new post${count === 1 ? "" : "s"} ↓`;
  const title = count ? `(${count}) ${baseTitle}` : baseTitle;
  if (document.title !== title) document.title = title;
}

function toast(message) {
  // The same refusal on every reconnect attempt shows once.
  if ([...ui.toasts.querySelectorAll(".toast-text")].some((text) => text.textContent === message)) return;
  const box = el("div", "toast");
  const close = el("button", "toast-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
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
    if (feed.isAtBottom() && !document.hidden) clearUnread();
    else renderUnread();
    maybeLoadOlder();
  },
  { passive: true },
);
ui.pill.addEventListener("click", () => {
  feed.scrollToBottom({ smooth: true });
  clearUnread();
});
ui.loadOlder.addEventListener("click", loadOlder);
ui.peopleToggle.addEventListener("click", () => {
  const open = ui.people.classList.toggle("is-open");
  ui.peopleToggle.setAttribute("aria-expanded", String(open));
});
document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  if (feed.isAtBottom()) clearUnread();
  scheduleRead();
});
addEventListener("focus", scheduleRead);

setInterval(() => refreshTimes(ui.feed), TIMES_EVERY_MS);

// Once a second: countdowns, the end of a rate-limit wait, and the dead-connection check.
setInterval(() => {
  if (state.connection.retryAt) renderStatus();
  outbox.tick();
  // Dead-connection check. The server sends no heartbeat yet, so silence alone proves nothing on a
  // quiet wall. Only when one of our posts has waited STALL_MS for its echo and no frame at all has
  // arrived for STALL_MS do we take the socket for dead (a laptop waking up, a proxy dropping it
  // silently) and reconnect; the post is then re-sent with the same client_id, so it is never doubled.
  if (outbox.stalledFor(STALL_MS) && Date.now() - socket.lastFrameAt > STALL_MS) socket.restart();
}, 1000);

// --- start -------------------------------------------------------------------------------------------

try {
  ui.draft.value = localStorage.getItem(DRAFT_KEY) ?? "";
} catch {
  // No storage: start with an empty draft.
}
outbox.restore(state.identity?.username ?? "You");
renderMe();
people.render();
renderStatus();
onDraftInput();
renderTop();
if (!state.identity) picker.open();
socket.connect();
