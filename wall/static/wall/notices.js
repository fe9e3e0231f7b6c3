// Operators' notices (`notice` events): a dismissible banner each, the newest first, never stored.

import { closeButton, el } from "./render.js";

const MAX_SHOWN = 3;

export class Notices {
  constructor(box) {
    this.box = box;
  }

  /** Show a notice's text; the same text again only moves it to the top. */
  show(text) {
    for (const shown of this.box.querySelectorAll(".notice")) {
      if (shown.querySelector(".notice-text").textContent === text) shown.remove();
    }
    const banner = el("div", "notice");
    banner.setAttribute("role", "status");
    const close = closeButton("notice-close", "Dismiss notice");
    close.addEventListener("click", () => banner.remove());
    banner.append(el("span", "notice-label", "Notice"), el("p", "notice-text", text), close);
    this.box.prepend(banner);
    while (this.box.children.length > MAX_SHOWN) this.box.lastElementChild.remove();
  }
}
