// Desktop notifications, if the reader asks for them: for mentions or every post, only while the tab is hidden.

const CHOICE_KEY = "wall.notify";
const BODY_MAX = 200;

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True when `content` names `username` as a word (with or without @), ignoring case. */
export function mentions(content, username) {
  if (!username) return false;
  return new RegExp(`(^|[^\\w-])@?${escapeRegExp(username)}(?![\\w-])`, "iu").test(content);
}

export class Notifier {
  /** `toggle` opens `panel`, a fieldset of radios off | mentions | all; `note` explains a refusal. */
  constructor({ toggle, panel, note }) {
    Object.assign(this, { toggle, panel, note });
    this.supported = "Notification" in window;
    try {
      this.choice = localStorage.getItem(CHOICE_KEY) ?? "off";
    } catch {
      this.choice = "off";
    }
    if (!this.supported || Notification.permission !== "granted") this.choice = "off";
    this.radios = [...panel.querySelectorAll("input[name=notify]")];
    toggle.addEventListener("click", () => this.setOpen(panel.hidden));
    document.addEventListener("click", (event) => {
      if (!panel.hidden && !panel.contains(event.target) && !toggle.contains(event.target)) this.setOpen(false);
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      this.setOpen(false);
      toggle.focus();
    });
    // Permission is asked here only: a click (or key) on a choice is the user gesture browsers require.
    for (const radio of this.radios) radio.addEventListener("change", () => this.choose(radio.value));
    this.render();
  }

  setOpen(open) {
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open) this.radios.find((radio) => radio.checked)?.focus();
  }

  async choose(value) {
    if (value !== "off" && !this.supported) {
      this.note.textContent = "This browser cannot show notifications.";
      value = "off";
    } else if (value !== "off" && Notification.permission !== "granted") {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        this.note.textContent = "Notifications are blocked for this site in the browser's settings.";
        value = "off";
      }
    }
    if (value !== "off") this.note.textContent = "";
    this.choice = value;
    try {
      localStorage.setItem(CHOICE_KEY, value);
    } catch {
      // No storage: the choice lasts for this page only.
    }
    this.render();
  }

  render() {
    for (const radio of this.radios) radio.checked = radio.value === this.choice;
    this.toggle.classList.toggle("is-on", this.choice !== "off");
  }

  /** A post by someone else arrived: notify if the tab is hidden and the reader asked for it. */
  post(post, username) {
    if (!document.hidden || this.choice === "off" || !this.supported) return;
    if (Notification.permission !== "granted") return;
    const mentioned = mentions(post.content, username);
    if (this.choice === "mentions" && !mentioned) return;
    const title = mentioned ? `${post.author} mentioned you` : post.author;
    const body = post.content ? post.content.slice(0, BODY_MAX) : "Posted an image";
    const notification = new Notification(title, { body, tag: `wall-post-${post.id}` });
    notification.addEventListener("click", () => {
      window.focus();
      notification.close();
    });
  }
}
