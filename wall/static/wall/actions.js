// The post action bar: one small toolbar that comes to the post under the pointer or the keyboard
// focus, or that a long press opens on a phone. Its buttons come from `postActions`, a list anyone can
// add to (addPostAction), so a new action is one entry, not a change here.

import { el } from "./render.js";

const LONG_PRESS_MS = 450;
const CONFIRM_MS = 4000;

/**
 * The actions, in order. Each entry: {id, label, run(context, button), shows?(context) → bool,
 * confirm?: "text"}, where context is {post, element, mine}: the post as the feed holds it, its
 * element, and whether the reader wrote it. With `confirm`, the first press turns the button into
 * that question and only a second press (within 4 s) runs it.
 */
export const postActions = [];

/** Add an action to the bar, at the end or before the action `before` (an id). */
export function addPostAction(action, { before = null } = {}) {
  const index = before === null ? -1 : postActions.findIndex((entry) => entry.id === before);
  if (index < 0) postActions.push(action);
  else postActions.splice(index, 0, action);
}

export class ActionBar {
  /** `feed` holds the posts (its list is watched); context(element) is {post, mine} of a post's
   *  element, or null for one the bar does not serve. */
  constructor({ list, context, actions = postActions }) {
    Object.assign(this, { list, context, actions });
    this.bar = el("div", "post-actions");
    this.bar.setAttribute("role", "toolbar");
    this.bar.setAttribute("aria-label", "Post actions");
    this.item = null;
    list.addEventListener("pointerover", (event) => {
      if (event.pointerType === "mouse") this.offer(event.target.closest?.(".post[data-id]"));
    });
    list.addEventListener("pointerleave", (event) => {
      if (event.pointerType === "mouse" && !this.bar.contains(document.activeElement)) this.close();
    });
    list.addEventListener("focusin", (event) => {
      if (!this.bar.contains(event.target)) this.offer(event.target.closest?.(".post[data-id]"));
    });
    list.addEventListener("focusout", (event) => {
      if (!this.item?.contains(event.relatedTarget)) this.close();
    });
    this.bar.addEventListener("keydown", (event) => this.onKey(event));
    this.listenForLongPress();
  }

  /** Show the bar on post element `item` (nothing for a post the bar does not serve). */
  offer(item, { open = false } = {}) {
    if (!item || !this.list.contains(item)) return;
    if (this.item === item && this.bar.isConnected) {
      if (open) this.bar.classList.add("is-open");
      return;
    }
    if (this.bar.contains(document.activeElement)) return; // The keyboard is using it elsewhere.
    const details = this.context(item);
    if (!details) return;
    const context = { ...details, element: item };
    const shown = this.actions.filter((action) => !action.shows || action.shows(context));
    this.bar.replaceChildren(...shown.map((action) => this.button(action, context)));
    this.item = item;
    this.bar.classList.toggle("is-open", open);
    item.querySelector(".post-body").append(this.bar);
  }

  close() {
    // Removing the bar blurs a focused button, whose focusout calls this again: item goes first.
    if (!this.item) return;
    this.item = null;
    this.bar.classList.remove("is-open");
    this.bar.remove();
  }

  button(action, context) {
    const button = el("button", `post-action post-action-${action.id}`, action.label);
    button.type = "button";
    button.dataset.action = action.id;
    let armed = null;
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      if (action.confirm && !armed) {
        button.textContent = action.confirm;
        button.classList.add("is-confirming");
        armed = setTimeout(() => {
          armed = null;
          button.textContent = action.label;
          button.classList.remove("is-confirming");
        }, CONFIRM_MS);
        return;
      }
      clearTimeout(armed);
      const item = this.item;
      this.close();
      action.run(context, button);
      if (item?.isConnected && action.id !== "reply" && action.id !== "edit") item.focus({ preventScroll: true });
    });
    return button;
  }

  /** Arrows move between the bar's buttons; Escape goes back to the post. */
  onKey(event) {
    const buttons = [...this.bar.querySelectorAll("button")];
    const index = buttons.indexOf(document.activeElement);
    const moves = { ArrowLeft: -1, ArrowRight: 1 };
    if (event.key in moves && index >= 0) {
      event.preventDefault();
      buttons[(index + moves[event.key] + buttons.length) % buttons.length].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      const item = this.item;
      item?.focus();
      this.bar.classList.remove("is-open");
    }
  }

  /** A long press on a post (touch) opens its bar; moving the finger (a scroll) cancels it. */
  listenForLongPress() {
    let timer = null;
    // Lifting the finger after a long press makes a click where it was, maybe on a button of the bar
    // that just opened under it: that one click is not the reader's.
    let swallowClick = false;
    const cancel = () => {
      clearTimeout(timer);
      timer = null;
    };
    this.list.addEventListener(
      "click",
      (event) => {
        if (!swallowClick) return;
        swallowClick = false;
        event.preventDefault();
        event.stopPropagation();
      },
      { capture: true },
    );
    this.list.addEventListener("pointerdown", (event) => {
      swallowClick = false;
      if (event.pointerType === "mouse") return;
      const item = event.target.closest?.(".post[data-id]");
      if (!item || this.bar.contains(event.target)) return;
      cancel();
      timer = setTimeout(() => {
        timer = null;
        swallowClick = true; // until that click, or the next touch if none comes
        this.offer(item, { open: true });
        this.bar.querySelector("button")?.focus({ preventScroll: true });
      }, LONG_PRESS_MS);
    });
    for (const type of ["pointerup", "pointercancel", "pointermove"]) {
      this.list.addEventListener(type, (event) => {
        if (type !== "pointermove" || Math.abs(event.movementX) + Math.abs(event.movementY) > 4) cancel();
      });
    }
    // The long press would also select text and open the browser's own menu.
    this.list.addEventListener("contextmenu", (event) => {
      if (event.target.closest?.(".post[data-id]") && matchMedia("(pointer: coarse)").matches) event.preventDefault();
    });
    document.addEventListener("pointerdown", (event) => {
      if (this.bar.classList.contains("is-open") && !this.bar.contains(event.target)) this.close();
    });
  }
}
