// The wall's page: one socket, handlers keyed by event type, and the parts they drive.

import { Composer } from "./composer.js";
import { Feed } from "./feed.js";
import { Attachment, Lightbox, Upload } from "./images.js";
import { PostIntake } from "./intake.js";
import { Membership, NamePicker } from "./names.js";
import { Notices } from "./notices.js";
import { Notifier } from "./notify.js";
import { PendingPosts } from "./pending.js";
import { People, peopleDrawer } from "./people.js";
import { Reactions, applyReactions, setViewer } from "./reactions.js";
import { Receipts } from "./receipts.js";
import { setReader } from "./richtext.js";
import { refreshTimes } from "./render.js";
import { WallSocket } from "./socket.js";
import { ConnectionStatus } from "./status.js";
import { Toasts } from "./toasts.js";
import { Unread } from "./unread.js";

const MAX_POSTS = 3000;
const HISTORY_PAGE = 50;
const LOAD_OLDER_WITHIN_PX = 200;
const TIMES_EVERY_MS = 30_000;

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
const toasts = new Toasts(ui.toasts);
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
  toast: (message) => toasts.show(message),
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

const reactions = new Reactions({
  list: $("posts"),
  send: (id, emoji, on) => socket.send("react", { id, emoji, on }),
  canReact: () => membership.joined,
  needName: () => picker.open(),
});

const intake = new PostIntake({
  feed,
  pending,
  people,
  unread,
  notifier,
  announcer: ui.announcer,
  isMine,
  deleted: state.deleted,
  maxPosts: MAX_POSTS,
  myName: () => membership.username,
  onTrim: () => (state.hasMore = true),
  onChange: () => afterPostsChanged(),
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
        posts.forEach((post) => intake.accept(post));
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
      posts.forEach((post) => intake.accept(post));
      state.hasMore = Boolean(data.has_more);
      feed.scrollToBottom();
      afterPostsChanged();
      maybeLoadOlder();
    } else {
      // A resume: only what was missed, merged by id.
      intake.acceptLive(posts);
    }
    // A resume's reactions that changed while this page was away, on posts it already shows.
    if (Array.isArray(data.reactions)) data.reactions.forEach(applyReactions);
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
    intake.acceptLive([data.message]);
  },

  reactions(data) {
    applyReactions(data);
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
      toasts.show(data.message || `Error: ${data.code}`);
    }
  },
};

// --- posts -------------------------------------------------------------------------------------------

/** By the name this page joined as, or (before the welcome, after a reload) the one it saved. */
function isMine(post) {
  const name = membership.username;
  return name !== null && post.author.toLowerCase() === name.toLowerCase();
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

// --- images: the full size on click ------------------------------------------------------------------

// An image without a reserved size (a pending post's preview) grows the feed when it loads.
lightbox.followClicksIn(ui.feed, () => feed.pinned && feed.scrollToBottom());

// --- rendering ---------------------------------------------------------------------------------------

function renderMe() {
  const name = membership.username;
  setViewer(name);
  setReader(name);
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

peopleDrawer({ panel: ui.people, toggle: ui.peopleToggle });

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
