// Short-lived messages in a corner (refusals nobody else shows): at most three, each dismissible.

import { closeButton, el } from "./render.js";

const SHOWN_MS = 8000;
const MAX_SHOWN = 3;

export class Toasts {
  constructor(box) {
    this.box = box;
  }

  show(message) {
    // The same refusal on every reconnect attempt shows once.
    if ([...this.box.querySelectorAll(".toast-text")].some((text) => text.textContent === message)) return;
    const toast = el("div", "toast");
    const close = closeButton("toast-close", "Dismiss");
    close.addEventListener("click", () => toast.remove());
    toast.append(el("p", "toast-text", message), close);
    this.box.append(toast);
    while (this.box.children.length > MAX_SHOWN) this.box.firstElementChild.remove();
    setTimeout(() => toast.remove(), SHOWN_MS);
  }
}
