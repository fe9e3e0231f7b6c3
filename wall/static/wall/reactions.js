// Reactions under each post: chips with counts (a click toggles your own; who reacted is in the tooltip
// and the label), and a picker with a palette and a field for any emoji. The server decides and sends
// each post's whole summary; the page shows the newest one (highest `rev`). Text goes in as textContent.

import { el } from "./render.js";

/** The palette the picker offers first; any other single emoji can be typed. */
export const PALETTE = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

// The server takes up to 16 code points (wall/services/reactions.py); in UTF-16 units, twice that.
const EMOJI_MAX = 32;
const summaries = new WeakMap(); // row element -> the summary it shows
let viewer = null; // the name this page joined as, lowercased: its chips are "pressed"

/** A summary from the server, checked: {counts: {emoji: n}, by: {emoji: [names]}, rev}. */
function summaryOf(value) {
  const counts = {};
  const by = {};
  const source = value && typeof value === "object" ? value : {};
  if (source.counts && typeof source.counts === "object") {
    for (const [emoji, count] of Object.entries(source.counts)) {
      if (!Number.isInteger(count) || count < 1 || emoji.length > EMOJI_MAX) continue;
      counts[emoji] = count;
      const names = source.by && Array.isArray(source.by[emoji]) ? source.by[emoji] : [];
      by[emoji] = names.filter((name) => typeof name === "string");
    }
  }
  return { counts, by, rev: Number.isInteger(source.rev) ? source.rev : 0 };
}

/** One typed text is one emoji (a hint for the field; the server's `emoji` data decides). */
export function looksLikeOneEmoji(text) {
  if (!text || text.length > EMOJI_MAX) return false;
  const segments = [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)];
  return segments.length === 1 && /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(text);
}

function chip(emoji, count, names) {
  const mine = viewer !== null && names.some((name) => name.toLowerCase() === viewer);
  const button = el("button", "reaction-chip");
  button.type = "button";
  button.dataset.emoji = emoji;
  button.setAttribute("aria-pressed", String(mine));
  const who = names.length ? names.join(", ") : `${count}`;
  button.title = who;
  button.setAttribute("aria-label", `${emoji} ${count}: ${who}${mine ? " (yours; press to take it back)" : ""}`);
  const symbol = el("span", "reaction-emoji", emoji);
  symbol.setAttribute("aria-hidden", "true");
  const number = el("span", "reaction-count", String(count));
  number.setAttribute("aria-hidden", "true");
  button.append(symbol, number);
  return button;
}

const SVG = "http://www.w3.org/2000/svg";

/** A line-drawn face (no emoji font needed) for the add button. */
function smiley() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const shapes = [
    ["circle", { cx: "12", cy: "12", r: "9", fill: "none", stroke: "currentColor", "stroke-width": "1.8" }],
    ["circle", { cx: "9", cy: "10", r: "1.2", fill: "currentColor" }],
    ["circle", { cx: "15", cy: "10", r: "1.2", fill: "currentColor" }],
    ["path", { d: "M8.5 14.5a4 4 0 0 0 7 0", fill: "none", stroke: "currentColor", "stroke-width": "1.8" }],
  ];
  for (const [tag, attributes] of shapes) {
    const shape = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) shape.setAttribute(name, value);
    svg.append(shape);
  }
  return svg;
}

function addButton() {
  const button = el("button", "reaction-add");
  button.type = "button";
  button.setAttribute("aria-label", "Add a reaction");
  button.setAttribute("aria-haspopup", "dialog");
  button.title = "Add a reaction";
  button.append(smiley(), el("span", "reaction-plus", "+"));
  button.lastChild.setAttribute("aria-hidden", "true");
  return button;
}

function render(row) {
  const { counts, by } = summaries.get(row);
  // Keyboard focus stays on the chip (or the add button) it was on across the re-render.
  const focused = row.contains(document.activeElement) ? document.activeElement : null;
  const chips = Object.keys(counts).map((emoji) => chip(emoji, counts[emoji], by[emoji]));
  const add = addButton();
  row.replaceChildren(...chips, add);
  row.classList.toggle("has-reactions", chips.length > 0);
  if (focused) (chips.find((button) => button.dataset.emoji === focused.dataset.emoji) ?? add).focus();
}

/** The reactions row of a post element, made (empty, before its foot) when it has none yet. */
function rowOf(item) {
  let row = item.querySelector(":scope .reactions");
  if (!row) {
    row = el("div", "reactions");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "Reactions");
    summaries.set(row, summaryOf(null));
    // The post's last child, under its body (wall.css): after the action bar in the Tab order.
    item.append(row);
    render(row);
  }
  return row;
}

/** Give a confirmed post's element its reactions row (render.js calls this for every post with an id). */
export function showReactions(item, post) {
  applyTo(item, post.reactions);
}

function applyTo(item, value) {
  const row = rowOf(item);
  const summary = summaryOf(value);
  if (summary.rev < summaries.get(row).rev) return false; // an older summary arrived late
  summaries.set(row, summary);
  render(row);
  return true;
}

/** A `reactions` event (or an item of a resume's `reactions`): show it on its post, if shown. */
export function applyReactions(data) {
  if (!data || typeof data.id !== "string") return false;
  const item = document.getElementById(`post-${data.id}`);
  return item ? applyTo(item, data) : false;
}

/** The name this page joined as (null: none): its own chips show pressed. */
export function setViewer(name) {
  viewer = typeof name === "string" ? name.toLowerCase() : null;
  for (const row of document.querySelectorAll(".post .reactions")) render(row);
}

/**
 * What a reader does with reactions: click a chip to toggle one's own, or open the picker (from the
 * add button of a row that has chips, or with `openPicker(postId, anchor)`: the action bar's React).
 */
export class Reactions {
  /** `send(id, emoji, on)` sends `react`; `canReact()` is false until joined, then `needName()` runs. */
  constructor({ list, send, canReact, needName }) {
    Object.assign(this, { list, send, canReact, needName });
    this.postId = null;
    this.anchor = null;
    this.picker = this.buildPicker();
    document.body.append(this.picker);
    list.addEventListener("click", (event) => this.onClick(event));
    document.addEventListener("click", (event) => {
      if (this.picker.hidden || this.picker.contains(event.target) || this.anchor?.contains(event.target)) return;
      this.closePicker({ restoreFocus: false });
    });
  }

  onClick(event) {
    const chipButton = event.target.closest(".reaction-chip");
    const add = event.target.closest(".reaction-add");
    const item = event.target.closest(".post[data-id]");
    if (!item || !(chipButton || add)) return;
    if (add) {
      this.openPicker(item.dataset.id, add);
    } else {
      this.react(item.dataset.id, chipButton.dataset.emoji, chipButton.getAttribute("aria-pressed") !== "true");
    }
  }

  react(postId, emoji, on) {
    if (!this.canReact()) {
      this.needName();
      return;
    }
    this.send(postId, emoji, on);
  }

  buildPicker() {
    const box = el("div", "reaction-picker");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Add a reaction");
    box.hidden = true;
    const palette = el("div", "reaction-palette");
    for (const emoji of PALETTE) {
      const button = el("button", "reaction-choice", emoji);
      button.type = "button";
      button.setAttribute("aria-label", `React with ${emoji}`);
      button.addEventListener("click", () => this.choose(emoji));
      palette.append(button);
    }
    const form = el("form", "reaction-other");
    const label = el("label", "visually-hidden", "Any other emoji");
    const field = el("input", "reaction-field");
    field.id = "reaction-field";
    label.htmlFor = field.id;
    field.placeholder = "Any emoji";
    field.maxLength = EMOJI_MAX;
    field.autocomplete = "off";
    const submit = el("button", "reaction-submit", "Add");
    submit.type = "submit";
    const hint = el("p", "reaction-hint");
    hint.setAttribute("aria-live", "polite");
    form.append(label, field, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = field.value.trim();
      if (!looksLikeOneEmoji(text)) {
        hint.textContent = "One emoji, please.";
        return;
      }
      this.choose(text);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.closePicker();
      }
    });
    Object.assign(this, { field, hint });
    box.append(palette, form, hint);
    return box;
  }

  /** Open the picker for post `postId`, next to `anchor` (the element focus returns to). */
  openPicker(postId, anchor) {
    if (!this.canReact()) {
      this.needName();
      return;
    }
    this.postId = String(postId);
    // The action bar closes as it runs an action: its button is gone, so the post stands in for it.
    this.anchor = anchor?.isConnected ? anchor : document.getElementById(`post-${postId}`);
    this.field.value = "";
    this.hint.textContent = "";
    this.picker.hidden = false;
    const box = this.anchor?.getBoundingClientRect();
    if (box) {
      const width = this.picker.offsetWidth;
      const height = this.picker.offsetHeight;
      const left = Math.max(8, Math.min(box.left, innerWidth - width - 8));
      const below = box.bottom + 6 + height < innerHeight;
      this.picker.style.setProperty("left", `${left}px`);
      this.picker.style.setProperty("top", `${below ? box.bottom + 6 : Math.max(8, box.top - height - 6)}px`);
    }
    // After the current click is done: the action bar gives the focus back to the post as it closes.
    setTimeout(() => this.picker.hidden || this.picker.querySelector(".reaction-choice")?.focus());
  }

  closePicker({ restoreFocus = true } = {}) {
    this.picker.hidden = true;
    // Back to what opened it (the post, for the action bar's React).
    const back = this.anchor?.isConnected ? this.anchor : document.getElementById(`post-${this.postId}`);
    if (restoreFocus) back?.focus();
    this.postId = null;
    this.anchor = null;
  }

  choose(emoji) {
    const postId = this.postId;
    this.closePicker();
    if (postId !== null) this.react(postId, emoji, true);
  }
}
