// A post's text as the page shows it: http(s) links (found by linkifyjs, vendored) and @mentions of
// existing participants (the server lists them in the post's `mentions`), built as elements and text
// nodes with textContent and attributes: never markup.

import { el } from "./render.js";
import * as linkify from "./vendor/linkifyjs/linkify.js";

// `@name` as a word, as the server finds it (wall/selectors.py, _MENTION_RE).
// Names are letters and digits of any script, "_" and "-" (wall/names.py); one without inner spaces
// can be mentioned. Kept equal to wall/selectors.py's _MENTION_RE.
const MENTION = /(?<![\p{L}\p{N}_@-])@([\p{L}\p{M}\p{N}_-]{2,32})(?![\p{L}\p{M}\p{N}_-])/gu;
const LINK_REL = "noopener noreferrer nofollow ugc";
let reader = null; // the name this page joined as, lowercased: mentions of it stand out

/** The link a URL may open: http or https only (schemeless ones were given https), else null. */
export function safeHref(href) {
  try {
    const url = new URL(href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function link(text, href) {
  const anchor = el("a", "post-link", text);
  anchor.href = href;
  anchor.target = "_blank";
  anchor.rel = LINK_REL;
  anchor.referrerPolicy = "no-referrer";
  return anchor;
}

function mention(text, name) {
  const node = el("span", "mention", text);
  node.dataset.name = name.toLowerCase();
  node.classList.toggle("is-me", node.dataset.name === reader);
  return node;
}

/** Text with the `@name`s of `names` (lower case -> name) as mention elements, the rest as text. */
function withMentions(text, names) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    const name = names.get(match[1].toLowerCase());
    if (!name) continue;
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    nodes.push(mention(match[0], name));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/** The nodes that show `text`: links, mentions of `mentions` (names from the server) and plain text. */
export function contentNodes(text, mentions) {
  const names = new Map(
    (Array.isArray(mentions) ? mentions : []).filter((name) => typeof name === "string").map((name) => [name.toLowerCase(), name]),
  );
  const nodes = [];
  // tokenize() and toObject() are linkifyjs' documented API: {type, value, href, isLink, start, end}.
  for (const token of linkify.tokenize(text)) {
    const { type, value, href } = token.toObject("https");
    const safe = type === "url" ? safeHref(href) : null;
    if (safe) nodes.push(link(value, safe));
    else nodes.push(...withMentions(value, names));
  }
  return nodes;
}

/** The `.post-content` paragraph of a post. */
export function contentElement(post) {
  const paragraph = el("p", "post-content");
  fillContent(paragraph, post);
  return paragraph;
}

function fillContent(paragraph, post) {
  paragraph.replaceChildren(...contentNodes(post.content, post.mentions));
  paragraph.dataset.mentionsKnown = String(Array.isArray(post.mentions));
}

/** A pending post confirmed: its text again, now that the server said whom it mentions. */
export function confirmContent(item, post) {
  const paragraph = item.querySelector(".post-content");
  if (paragraph && paragraph.dataset.mentionsKnown !== "true" && Array.isArray(post.mentions)) fillContent(paragraph, post);
}

/** The name this page joined as (null: none): mentions of it are marked `is-me`. */
export function setReader(name) {
  reader = typeof name === "string" ? name.toLowerCase() : null;
  for (const node of document.querySelectorAll(".post .mention")) node.classList.toggle("is-me", node.dataset.name === reader);
}

/** Whether `post` mentions the reader (by the server's list). */
export function mentionsReader(post) {
  return reader !== null && Array.isArray(post.mentions) && post.mentions.some((name) => typeof name === "string" && name.toLowerCase() === reader);
}
