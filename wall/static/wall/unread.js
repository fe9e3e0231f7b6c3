// Posts the reader has not seen yet: the "New" divider, "Jump to latest" with a count, the title and
// the favicon badge; mentions of the reader counted apart in the title.

import { mentionsReader } from "./richtext.js";

const ICON_SIZE = 64;

/** The favicon with a red badge showing `count` (a data: URL; the CSP allows data: images). */
function badgeIcon(base, count) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = ICON_SIZE;
  const context = canvas.getContext("2d");
  context.drawImage(base, 0, 0, ICON_SIZE, ICON_SIZE);
  const text = count > 99 ? "99+" : String(count);
  const radius = ICON_SIZE * 0.3;
  context.fillStyle = "#d42a31";
  context.beginPath();
  context.arc(ICON_SIZE - radius, radius, radius, 0, Math.PI * 2);
  context.fill();
  context.fillStyle = "#ffffff";
  context.font = `bold ${text.length > 2 ? 22 : 30}px system-ui, sans-serif`;
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.fillText(text, ICON_SIZE - radius, radius + 2);
  return canvas.toDataURL("image/png");
}

export class Unread {
  /** `button` is "Jump to latest" with `countBox` inside; `icon` the page's <link rel="icon">. */
  constructor({ feed, button, countBox, icon }) {
    Object.assign(this, { feed, button, countBox, icon });
    this.count = 0;
    this.mentions = 0; // of those, posts that mention the reader
    this.baseTitle = document.title;
    this.baseIcon = icon.href;
    this.iconImage = new Image();
    this.iconImage.src = this.baseIcon;
    this.shownCount = 0;
    button.addEventListener("click", () => {
      feed.scrollToBottom({ smooth: true });
      this.clear();
    });
  }

  /** `fresh` posts by others arrived while the reader was away or scrolled up; the first gets "New". */
  arrived(fresh) {
    if (fresh.length === 0) return;
    if (this.count === 0) this.feed.markNew(fresh[0].id);
    this.count += fresh.length;
    this.mentions += fresh.filter(mentionsReader).length;
    this.render();
  }

  /** The reader is at the bottom of a visible page (or posted): nothing is unread any more. */
  clear() {
    this.count = 0;
    this.mentions = 0;
    this.render();
  }

  /** The reader posted: the "New" divider has served its purpose. */
  dismissDivider() {
    this.feed.markNew(null);
  }

  render() {
    const count = this.count;
    this.button.hidden = this.feed.isAtBottom();
    this.countBox.hidden = count === 0;
    this.countBox.textContent = `${count} new`;
    const mentions = this.mentions ? ` · @${this.mentions}` : "";
    const title = count ? `(${count}${mentions}) ${this.baseTitle}` : this.baseTitle;
    if (document.title !== title) document.title = title;
    if (count !== this.shownCount) {
      this.shownCount = count;
      const draw = () => (this.icon.href = count && this.count === count ? badgeIcon(this.iconImage, count) : this.baseIcon);
      if (this.iconImage.complete) draw();
      else this.iconImage.addEventListener("load", draw, { once: true });
    }
  }
}
