// The wall's page: one socket, handlers keyed by event type, and the parts they drive.

import { ActionBar, addPostAction } from "./actions.js";
import { renderBan } from "./ban.js";
import { Composer } from "./composer.js";
import { NameMenu, codeFromAddress } from "./devices.js";
import { Feed } from "./feed.js";
import { HeldQueue, showHeld } from "./held.js";
import { Attachment, Lightbox, Upload } from "./images.js";
import { isPost, PostIntake } from "./intake.js";
import { ModeratorTools } from "./moderator.js";
import { Membership, NamePicker } from "./names.js";
import { Notices } from "./notices.js";
import { Notifier } from "./notify.js";
import { PendingPosts } from "./pending.js";
import { People, peopleDrawer } from "./people.js";
import { excerpt, refreshQuotesOf, removeQuotesOf } from "./postmeta.js";
import { Reactions, applyReactions, setViewer } from "./reactions.js";
import { Receipts } from "./receipts.js";
import { ReportButtons } from "./report.js";
import { setReader } from "./richtext.js";
import { refreshTimes } from "./render.js";
import { WallSocket } from "./socket.js";
import { ConnectionStatus } from "./status.js";
import { Toasts } from "./toasts.js";
import { Unread } from "./unread.js";

const MAX_POSTS = 3000;
const HISTORY_PAGE = 50;
const SEEK_PAGE = 200; // pages asked for while looking for an older post (a link, a quote)
const HIGHLIGHT_MS = 2500;
const LOAD_OLDER_WITHIN_PX = 200;
const TIMES_EVERY_MS = 30_000;

const $ = (id) => document.getElementById(id);
const root = $("wall");
const config = {
  contentMax: Number(root.dataset.contentMax) || 2000,
  editWindowMs: (Number(root.dataset.editWindow) || 900) * 1000,
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
  seeking: null, // the post id a link or a quote asked for, until it is shown or known to be gone
  edits: new Map(), // client_id -> {id, content} of edits sent, to put back one the server refuses
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
  onCode: (code) => membership.request({ code }),
});
const membership = new Membership({
  picker,
  send: (type, data) => socket.send(type, data),
  toast: (message) => toasts.show(message),
  restart: () => socket.restart(),
  onChange: () => {
    renderMe();
    composer.render();
    renderBan({ box: $("ban-banner"), text: $("ban-text") }, membership.banned ? membership.ban : null);
    nameMenu.render();
  },
});
const nameMenu = new NameMenu({
  ui: NameMenu.elements($),
  deviceCodeUrl: root.dataset.deviceCodeUrl,
  recoveryCodeUrl: root.dataset.recoveryCodeUrl,
  membership,
  send: (type, data) => socket.send(type, data),
  toast: (message) => toasts.show(message),
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
    socket.send("message", {
      content: item.content,
      client_id: item.clientId,
      image_id: item.image?.id ?? null,
      reply_to: item.replyTo?.id ?? null,
    }),
  joined: () => membership.joined,
  onEdit: (content, file, replyTo) => composer.putBack(content, file, replyTo),
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
    mode: $("composer-mode"),
    modeText: $("composer-mode-text"),
    modeCancel: $("composer-mode-cancel"),
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
  sendEdit,
  lastEditable,
});

const moderator = new ModeratorTools({
  ui: {
    badge: $("mod-badge"),
    name: $("mod-name"),
    reports: $("mod-reports"),
    posts: $("posts"),
    dialog: $("mod-dialog"),
    form: $("mod-form"),
    title: $("mod-dialog-title"),
    post: $("mod-dialog-post"),
    reason: $("mod-reason"),
    note: $("mod-note"),
    durations: $("mod-durations"),
    confirm: $("mod-confirm"),
  },
  feed,
  send: (type, data) => socket.send(type, data),
  toast: (text) => toasts.show(text),
});

const heldQueue = new HeldQueue({
  ui: { box: $("held-queue"), list: $("held-list"), count: $("held-count") },
  send: (type, data) => socket.send(type, data),
});

const reportButtons = new ReportButtons({
  ui: {
    posts: $("posts"),
    dialog: $("report-dialog"),
    form: $("report-form"),
    post: $("report-dialog-post"),
    reason: $("report-reason"),
    text: $("report-text"),
  },
  send: (type, data) => socket.send(type, data),
  toast: (text) => toasts.show(text),
  canReport: () => membership.joined,
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
      if (state.seeking) seekPost();
      else maybeLoadOlder();
      return;
    }
    if (data.reset) feed.clear();
    if (!state.loaded || data.reset || feed.size === 0) {
      state.loaded = true;
      posts.forEach((post) => intake.accept(post));
      state.hasMore = Boolean(data.has_more);
      feed.scrollToBottom();
      afterPostsChanged();
      if (state.seeking) seekPost();
      else maybeLoadOlder();
    } else {
      // A resume: only what was missed, merged by id. A post shown already (the overlap) may come
      // back edited meanwhile.
      for (const post of posts) if (isPost(post) && isNewerEdit(post)) applyEdit(post);
      intake.acceptLive(posts);
    }
    // A resume's edits of posts this page shows (never added: see docs/protocol.md).
    if (Array.isArray(data.edited)) data.edited.forEach(applyEdit);
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
    reportButtons.decorateAll();
    receipts.scheduleRead();
    receipts.scheduleSeenBy();
  },

  message(data) {
    // A live `message` for a post removed before is an unhide: it may be shown again.
    state.deleted.delete(data.message?.id);
    moderator.postShown(data.message);
    intake.acceptLive([data.message]);
    // A post a moderator unhid: the replies that quote it show it again.
    if (isPost(data.message)) {
      const update = (replyId, replyTo) => feed.update({ id: replyId, reply_to: replyTo });
      refreshQuotesOf(ui.feed, data.message, update, { shownAgain: true });
    }
  },

  message_edited(data) {
    applyEdit(data.message);
  },

  reactions(data) {
    applyReactions(data);
  },

  message_hidden(data) {
    const why = data.reason ? `: ${data.reason}` : ".";
    if (data.by === "wall") toasts.show(`Your post is hidden until a moderator looks at it${why}`);
    else toasts.show(`A moderator hid your post${why}`);
  },

  moderator(data) {
    moderator.start(data);
    heldQueue.replace(data.held);
    afterPostsChanged();
  },

  held(data) {
    heldQueue.add(data.message);
  },

  message_held(data) {
    showHeld({ feed, pending }, data.message);
    afterPostsChanged();
  },

  post_hidden(data) {
    heldQueue.remove(data.message?.id);
    moderator.postHidden(data);
    afterPostsChanged();
  },

  user_banned(data) {
    moderator.userBanned(data);
  },

  reports(data) {
    moderator.reportCount(data.open);
  },

  reported(data) {
    reportButtons.done(data.id);
    toasts.show("Thank you: the moderators will look at it.");
  },

  message_deleted(data) {
    heldQueue.remove(data.id);
    state.deleted.add(data.id);
    composer.forget(data.id);
    removeQuotesOf(ui.feed, data.id, (replyId, replyTo) => feed.update({ id: replyId, reply_to: replyTo }));
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

  user_renamed(data) {
    if (typeof data.username !== "string" || typeof data.previous !== "string") return;
    feed.renameAuthor(data.previous, data.username);
    people.rename(data.id, data.username);
    receipts.rename(data.id, data.username);
    receipts.scheduleSeenBy();
    if (data.id === membership.me?.id) {
      const mine = nameMenu.renaming !== null;
      membership.renamed(data.username);
      pending.renameAuthor(data.username);
      nameMenu.renamed();
      // Renamed on another device: this socket's join is refreshed, so it speaks with the new name.
      if (!mine) membership.rejoin();
    }
    ui.announcer.textContent = `${data.previous} is now called ${data.username}`;
  },

  signed_out() {
    membership.signedOut();
  },

  pong() {
    // Only proves the connection is alive; socket.js already noted the frame's arrival.
  },

  read(data) {
    receipts.setPointer(data.id, data.username, data.message_id);
    receipts.scheduleSeenBy();
  },

  error(data) {
    if (data.code === "banned") membership.setBanned(data);
    if (data.client_id != null && state.edits.has(data.client_id)) {
      editRefused(data);
      return;
    }
    // Edits were answered above; a `forbidden` now answers a moderator's command.
    if (data.code === "forbidden") moderator.stop();
    if (data.code === "already_reported") reportButtons.done(data.id);
    if (data.code === "invalid_token" && !membership.joining) membership.lost(data.message); // The name was removed.
    if (data.client_id != null && pending.fail(data)) {
      if (data.code === "not_joined") membership.rejoin();
    } else if (nameMenu.renameRefused(data)) {
      // The rename dialog showed it.
    } else if (membership.answers(data)) {
      // The join flow showed it.
    } else if (data.code === "not_joined" && membership.identity) {
      membership.rejoin();
    } else if (data.code !== "banned") {
      // (A ban is shown once, in its banner.)
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

// --- edits: the reader's own, sent from the composer; everyone's, applied to the posts shown ------------

/** Apply an edited post to the wall: its element if shown, and the quotes of it in replies. */
function applyEdit(post) {
  if (!isPost(post) || state.deleted.has(post.id)) return;
  if (!feed.update(post)) return; // Not shown (never loaded, trimmed): nothing to add.
  refreshQuotesOf(ui.feed, post, (replyId, replyTo) => feed.update({ id: replyId, reply_to: replyTo }));
}

/** `post` carries an edit the shown copy lacks. */
function isNewerEdit(post) {
  const shown = feed.entry(post.id)?.post;
  return Boolean(shown && post.edited_at && post.edited_at !== shown.edited_at);
}

let editCount = 0;

/** Send an edit of post `id`; false when the socket is not open (the text stays in the composer). */
function sendEdit(id, content) {
  const current = feed.entry(id)?.post;
  if (current && current.content === content) return true; // Nothing changed: nothing to send.
  const clientId = `e-${Date.now().toString(36)}-${(editCount += 1)}`;
  if (!socket.send("edit", { id, content, client_id: clientId })) return false;
  state.edits.set(clientId, { id, content });
  // Forget it once its answer can no longer come (a `message_edited` carries no client_id of its own).
  setTimeout(() => state.edits.delete(clientId), 60_000);
  return true;
}

/** The server refused an edit: say why, and give the text back to fix (or to post anew, when the post
 *  can no longer be edited). */
function editRefused(error) {
  const { id, content } = state.edits.get(error.client_id);
  state.edits.delete(error.client_id);
  toasts.show(error.message || `Error: ${error.code}`);
  if (["too_late", "no_such_post", "forbidden"].includes(error.code)) composer.putBack(content, null);
  else if (error.code !== "banned") composer.startEdit({ id, content });
}

/** The reader's newest post on the wall, if it may still be edited: {id, content} or null. */
function lastEditable() {
  // The newest post is still on its way (no id yet): not an older one instead.
  if (pending.size > 0) return null;
  for (let index = feed.size - 1; index >= 0; index -= 1) {
    const { post } = feed.entryAt(index);
    if (!isMine(post)) continue;
    return mayEdit(post) ? { id: post.id, content: post.content } : null;
  }
  return null;
}

function mayEdit(post) {
  return isMine(post) && Date.now() - new Date(post.created_at).getTime() < config.editWindowMs;
}

// --- the action bar: Reply, Edit, Delete (own posts), Copy link ---------------------------------------

new ActionBar({
  list: $("posts"),
  context: (element) => {
    const post = feed.entry(element.dataset.id)?.post;
    return post ? { post, mine: isMine(post) } : null;
  },
});

addPostAction({
  id: "reply",
  label: "Reply",
  shows: () => !membership.banned,
  run: ({ post }) => composer.startReply({ id: post.id, author: post.author, excerpt: excerpt(post.content) }),
});
addPostAction({
  id: "edit",
  label: "Edit",
  shows: ({ post }) => mayEdit(post) && !membership.banned,
  run: ({ post }) => composer.startEdit({ id: post.id, content: post.content }),
});
addPostAction({
  id: "delete",
  label: "Delete",
  confirm: "Delete for everyone?",
  shows: ({ mine }) => mine && !membership.banned,
  run: ({ post }) => socket.send("delete", { id: post.id }) || toasts.show("Not connected: try again when the wall is back."),
});
addPostAction({
  id: "report",
  label: "Report",
  shows: ({ post, mine }) => reportButtons.mayReport(post, mine) && !membership.banned,
  run: ({ post }) => {
    const item = document.getElementById(`post-${post.id}`);
    if (item) reportButtons.ask(item);
  },
});
addPostAction({
  id: "copy-link",
  label: "Copy link",
  run: ({ post }) => copyLink(post.id),
});
// First in the bar, as issue 14 lists them: React, Reply, Edit, Delete, Copy link.
addPostAction(
  {
    id: "react",
    label: "React",
    shows: () => !membership.banned,
    run: ({ post }, button) => reactions.openPicker(post.id, button),
  },
  { before: "reply" },
);

async function copyLink(id) {
  const link = `${location.origin}/#post-${id}`;
  try {
    await navigator.clipboard.writeText(link);
    toasts.show("Link copied.");
  } catch {
    toasts.show(`Copy this link: ${link}`);
  }
}

// --- going to a post: a /#post-<id> link, or a click on a reply's quote --------------------------------

function goToPost(id) {
  state.seeking = id;
  seekPost();
}

/** Show the post sought, loading older pages until it is there, or say it is gone. */
function seekPost() {
  const id = state.seeking;
  if (!id || !state.loaded) return;
  if (feed.entry(id)) {
    state.seeking = null;
    revealPost(id);
    return;
  }
  const oldest = feed.oldestId();
  if (state.hasMore && oldest !== null && Number(id) < Number(oldest)) {
    loadOlder(SEEK_PAGE); // seekPost runs again when the page arrives
    return;
  }
  if (state.loadingOlder) return;
  state.seeking = null;
  toasts.show("That post is not on the wall any more.");
}

function revealPost(id) {
  const { el: element } = feed.entry(id);
  element.scrollIntoView({ block: "center", behavior: "instant" });
  feed.setCurrent(element);
  element.focus({ preventScroll: true });
  element.classList.remove("is-highlighted");
  void element.offsetWidth; // restart the highlight's animation
  element.classList.add("is-highlighted");
  setTimeout(() => element.classList.remove("is-highlighted"), HIGHLIGHT_MS);
}

function postIdInHash() {
  const match = /^#post-(\d{1,19})$/.exec(location.hash);
  return match ? match[1] : null;
}

ui.feed.addEventListener("click", (event) => {
  const quote = event.target.closest?.(".post-quote[data-reply-to]");
  if (quote && !quote.disabled) goToPost(quote.dataset.replyTo);
});
addEventListener("hashchange", () => {
  const id = postIdInHash();
  if (id) goToPost(id);
});

function afterPostsChanged() {
  renderTop();
  unread.render();
  receipts.scheduleSeenBy();
}

function maybeLoadOlder() {
  if (ui.feed.scrollTop < LOAD_OLDER_WITHIN_PX) loadOlder();
}

function loadOlder(limit = HISTORY_PAGE) {
  const before = feed.oldestId();
  if (!state.hasMore || state.loadingOlder || before === null) return;
  if (!socket.send("history", { before, limit })) return;
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
ui.loadOlder.addEventListener("click", () => loadOlder());

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
state.seeking = postIdInHash();
// A link from another device's "Use my name on another device" carries a code: join with it.
const linkCode = codeFromAddress();
if (linkCode) membership.joining = { code: linkCode };
else if (!membership.identity && !state.seeking) picker.open();
socket.connect();
