// Who is online and who is typing, kept from `users`, `user_joined`, `user_left` and `typing`.

import { avatar, el, typingText } from "./render.js";

const TYPING_SHOWN_MS = 5000;

export class People {
  constructor({ panel, list, count, toggleCount, typingLine, staleNote }) {
    Object.assign(this, { panel, list, count, toggleCount, typingLine, staleNote });
    this.online = new Map(); // user id -> username
    this.typists = new Map(); // user id -> {username, timer}
    this.meId = null;
  }

  /** The full list sent on connect. */
  replace(users) {
    this.online = new Map(users.map((user) => [user.id, user.username]));
    this.panel.classList.remove("is-stale");
    this.staleNote.hidden = true;
    this.render();
  }

  /** The reader joined as `id`: list them (nobody tells them about themselves) and mark them. */
  setMe(id, username) {
    this.meId = id;
    this.add(id, username);
  }

  add(id, username) {
    this.online.set(id, username);
    this.render();
  }

  /** A user's new name (`user_renamed`), if they are listed or typing. */
  rename(id, username) {
    if (this.online.has(id)) this.online.set(id, username);
    const typist = this.typists.get(id);
    if (typist) typist.username = username;
    this.render();
  }

  remove(id, username) {
    this.online.delete(id);
    this.stopTyping(username);
    this.render();
  }

  /** The connection dropped: the list says it may be out of date until the next `users`. */
  stale() {
    this.panel.classList.add("is-stale");
    this.staleNote.hidden = false;
    for (const { username } of [...this.typists.values()]) this.stopTyping(username);
  }

  /** Someone else typed; shown for a few seconds unless they type again. */
  typing(id, username) {
    if (id === this.meId) return;
    clearTimeout(this.typists.get(id)?.timer);
    const timer = setTimeout(() => {
      this.typists.delete(id);
      this.renderTyping();
    }, TYPING_SHOWN_MS);
    this.typists.set(id, { username, timer });
    this.renderTyping();
  }

  /** Their post arrived, or they left. */
  stopTyping(username) {
    let changed = false;
    for (const [id, entry] of this.typists) {
      if (entry.username === username) {
        clearTimeout(entry.timer);
        this.typists.delete(id);
        changed = true;
      }
    }
    if (changed) this.renderTyping();
  }

  render() {
    const people = [...this.online].sort(([, a], [, b]) => a.localeCompare(b, undefined, { sensitivity: "base" }));
    this.list.replaceChildren(
      ...people.map(([id, username]) => {
        const row = el("li", "person");
        row.append(avatar(username), el("span", "person-name", username));
        if (id === this.meId) {
          row.classList.add("is-me");
          row.append(el("span", "person-you", "(you)"));
        }
        return row;
      }),
    );
    this.count.textContent = String(people.length);
    this.toggleCount.textContent = `${people.length} online`;
  }

  renderTyping() {
    this.typingLine.textContent = typingText([...this.typists.values()].map((entry) => entry.username));
  }
}

/** The people drawer (phones): the toggle opens it; a tap outside it or Escape closes it. */
export function peopleDrawer({ panel, toggle }) {
  const set = (open) => {
    panel.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  toggle.addEventListener("click", () => set(!panel.classList.contains("is-open")));
  document.addEventListener("click", (event) => {
    const outside = !panel.contains(event.target) && !toggle.contains(event.target);
    if (outside && panel.classList.contains("is-open")) set(false);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !panel.classList.contains("is-open")) return;
    set(false);
    toggle.focus();
  });
}
