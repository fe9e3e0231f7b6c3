// What a post says about its own history: the quote of the post it answers, and "(edited)". Text only
// ever goes in through textContent; a removed original is quoted as "a removed post" (the server sends
// no text of it).

import { el } from "./render.js";

export const REMOVED_TEXT = "a removed post";
const EXCERPT_MAX = 120; // settings.WALL_EXCERPT_MAX

const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

function isReply(replyTo) {
  return replyTo && typeof replyTo === "object" && typeof replyTo.id === "string" && /^\d+$/.test(replyTo.id);
}

/**
 * A post's quote of its original, by wall.selectors.excerpt's rule: the first line that shows
 * something, cut at EXCERPT_MAX characters. Used only to refresh quotes when a shown original is
 * edited; the server builds every quote it sends.
 */
export function excerpt(content) {
  // The line breaks of Python's str.splitlines, so both sides cut the same first line.
  const lines = content.split(/\r\n|[\n\v\f\r\x1c-\x1e\x85\u2028\u2029]/).map((line) => line.trim());
  const line = lines.find((text) => text) ?? "";
  const chars = [...line];
  if (chars.length > EXCERPT_MAX) return `${chars.slice(0, EXCERPT_MAX - 1).join("").trimEnd()}…`;
  return line === content.trim() ? line : `${line} …`;
}

/** The quote line above a reply's text: a button that goes to the original. */
function quoteElement(replyTo) {
  const quote = el("button", "post-quote");
  quote.type = "button";
  quote.dataset.replyTo = replyTo.id;
  fillQuote(quote, replyTo);
  return quote;
}

function fillQuote(quote, replyTo) {
  const removed = replyTo.author == null;
  quote.classList.toggle("is-removed", removed);
  const mark = el("span", "post-quote-mark", "↪");
  mark.setAttribute("aria-hidden", "true");
  // Read as "Reply to Alice: ..."; the visible text stays the whole of what is shown (axe's
  // label-content-name-mismatch).
  const lead = el("span", "visually-hidden", "Reply to ");
  if (removed) {
    quote.replaceChildren(mark, lead, el("span", "post-quote-text", REMOVED_TEXT));
    quote.disabled = true;
    quote.removeAttribute("title");
  } else {
    const text = replyTo.excerpt || "an image";
    const author = el("span", "post-quote-author", replyTo.author);
    quote.replaceChildren(mark, lead, author, el("span", "visually-hidden", ": "), el("span", "post-quote-text", text));
    quote.disabled = false;
    quote.title = "Go to that post";
  }
}

/** Show `post`'s quote and edit mark on its element (new, pending or updated). */
export function showMeta(item, post) {
  const body = item.querySelector(".post-body");
  if (!body) return;
  const current = body.querySelector(":scope > .post-quote");
  if (isReply(post.reply_to)) {
    if (current) fillQuote(current, post.reply_to);
    else body.querySelector(".post-head").after(quoteElement(post.reply_to));
  } else {
    current?.remove();
  }
  setEdited(item, post.edited_at);
}

/** "(edited)" after the time, with the edit's exact time on hover (and for screen readers). */
function setEdited(item, editedAt) {
  const head = item.querySelector(".post-head");
  let mark = head?.querySelector(".post-edited");
  const when = typeof editedAt === "string" ? new Date(editedAt) : null;
  if (!when || Number.isNaN(when.getTime())) {
    mark?.remove();
    return;
  }
  if (!mark) {
    mark = el("span", "post-edited", "(edited)");
    head.append(mark);
  }
  mark.title = `Edited ${exactFormat.format(when)}`;
  mark.setAttribute("aria-label", `edited ${exactFormat.format(when)}`);
  mark.dataset.editedAt = when.toISOString();
}

/** Quotes of post `id` under `root` become "a removed post" (it was hidden or deleted); each
 *  reply's stored post is updated through `update(replyId, replyTo)`. */
export function removeQuotesOf(root, id, update = () => {}) {
  for (const quote of root.querySelectorAll(`.post-quote[data-reply-to="${CSS.escape(id)}"]`)) {
    const replyTo = { id, author: null, excerpt: null };
    fillQuote(quote, replyTo);
    const reply = quote.closest(".post[data-id]");
    if (reply) update(reply.dataset.id, replyTo);
  }
}

/** Quotes of `original` under `root` show its text as it is now (it was edited). */
export function refreshQuotesOf(root, original, update = () => {}) {
  for (const quote of root.querySelectorAll(`.post-quote[data-reply-to="${CSS.escape(original.id)}"]`)) {
    if (quote.classList.contains("is-removed")) continue;
    const replyTo = { id: original.id, author: original.author, excerpt: excerpt(original.content) };
    fillQuote(quote, replyTo);
    const reply = quote.closest(".post[data-id]");
    if (reply) update(reply.dataset.id, replyTo);
  }
}
