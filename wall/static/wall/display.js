// The big-screen view (/display/): the wall's posts, large, newest at the bottom, read without joining.

import { Feed } from "./feed.js";
import { Notices } from "./notices.js";
import { refreshQuotesOf, removeQuotesOf } from "./postmeta.js";
import { applyReactions } from "./reactions.js";
import { WallSocket } from "./socket.js";
import { ConnectionStatus } from "./status.js";

const MAX_POSTS = 200;
const ARRIVING_MS = 1200;

const $ = (id) => document.getElementById(id);
const feed = new Feed({ scroller: $("feed"), list: $("posts"), onVisible: () => {} });
const notices = new Notices($("notices"));
const status = new ConnectionStatus({ box: $("status"), text: $("status-text"), countdown: $("status-countdown") });
const deleted = new Set();
let loaded = false;

function isPost(post) {
  return post && typeof post.id === "string" && typeof post.author === "string" && typeof post.content === "string";
}

function place(post, { arriving = false } = {}) {
  if (!isPost(post) || deleted.has(post.id) || !feed.add(post)) return;
  if (!arriving) return;
  const item = $(`post-${post.id}`);
  item.classList.add("is-arriving");
  setTimeout(() => item.classList.remove("is-arriving"), ARRIVING_MS);
}

/** An edited post: shown as it is now, and so are the quotes of it (never added when not shown). */
function applyEdit(post) {
  if (!isPost(post) || deleted.has(post.id) || !feed.update(post)) return;
  refreshQuotesOf($("posts"), post, (replyId, replyTo) => feed.update({ id: replyId, reply_to: replyTo }));
}

function settle() {
  feed.trim(MAX_POSTS);
  feed.scrollToBottom();
  $("empty").hidden = feed.size > 0;
}

const handlers = {
  messages(data) {
    const posts = Array.isArray(data.messages) ? data.messages : [];
    if (data.reset) feed.clear();
    const fresh = loaded && !data.reset;
    loaded = true;
    for (const post of posts) place(post, { arriving: fresh });
    if (Array.isArray(data.edited)) data.edited.forEach(applyEdit);
    if (Array.isArray(data.reactions)) data.reactions.forEach(applyReactions);
    settle();
  },
  message_edited(data) {
    applyEdit(data.message);
  },
  reactions(data) {
    applyReactions(data);
  },
  message(data) {
    place(data.message, { arriving: true });
    if (isPost(data.message)) {
      const update = (replyId, replyTo) => feed.update({ id: replyId, reply_to: replyTo });
      refreshQuotesOf($("posts"), data.message, update, { shownAgain: true }); // a post unhidden
    }
    settle();
  },
  message_deleted(data) {
    deleted.add(data.id);
    feed.remove(data.id);
    removeQuotesOf($("posts"), data.id, (replyId, replyTo) => feed.update({ id: replyId, reply_to: replyTo }));
    settle();
  },
  notice(data) {
    if (typeof data.text === "string") notices.show(data.text);
  },
};

const socket = new WallSocket({
  path: $("display").dataset.socketPath,
  since: () => (loaded ? feed.newestId() : null),
  onFrame: ({ type, data }) => {
    if (Object.hasOwn(handlers, type)) handlers[type](data && typeof data === "object" ? data : {});
  },
  onOpen: () => {},
  onClose: () => {},
  onStatus: (connection) => status.set(connection),
});
setInterval(() => status.tick(), 1000);
setInterval(() => feed.relayout(), 60_000);
socket.connect();
