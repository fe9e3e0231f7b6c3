// Who the reader is: the saved name and token, the dialog that picks a name, and the join flow.

const IDENTITY_KEY = "wall.identity";
const CHECK_DELAY_MS = 250;
const NAME_RE = /^[A-Za-z0-9_-]+$/;

export function loadIdentity() {
  try {
    const saved = JSON.parse(localStorage.getItem(IDENTITY_KEY));
    if (saved && typeof saved.token === "string" && typeof saved.username === "string") return saved;
  } catch {
    // Unreadable storage is the same as none.
  }
  return null;
}

export function saveIdentity({ username, token }) {
  try {
    localStorage.setItem(IDENTITY_KEY, JSON.stringify({ username, token }));
  } catch {
    // Private mode without storage: the name lasts for this page only.
  }
}

export function forgetIdentity() {
  try {
    localStorage.removeItem(IDENTITY_KEY);
  } catch {
    // Nothing was saved.
  }
}

/**
 * The name dialog: checks availability as the reader types and calls onChoose({username}) or
 * onChoose({}) for a random name. The server's answer comes back through showError() or close().
 */
export class NamePicker {
  constructor({ dialog, min, max, availabilityUrl, onChoose }) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.input = dialog.querySelector("#picker-name");
    this.feedback = dialog.querySelector("#picker-feedback");
    this.confirm = dialog.querySelector("#picker-confirm");
    this.random = dialog.querySelector("#picker-random");
    this.later = dialog.querySelector("#picker-later");
    this.intro = dialog.querySelector("#picker-intro");
    this.introText = this.intro.textContent;
    Object.assign(this, { min, max, availabilityUrl, onChoose });
    this.rule = `${min}–${max} letters, digits, _ or -`;
    this.timer = null;
    this.request = null;
    this.busy = false;

    this.input.addEventListener("input", () => this.check());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const username = this.input.value.trim();
      if (this.busy || this.shapeProblem(username)) return;
      this.setBusy(true, "Joining…");
      this.onChoose({ username });
    });
    this.random.addEventListener("click", () => {
      if (this.busy) return;
      this.setBusy(true, "Finding a free name…");
      this.onChoose({});
    });
    this.later.addEventListener("click", () => this.close());
  }

  get isOpen() {
    return this.dialog.open;
  }

  open(message = null) {
    this.intro.textContent = message ?? this.introText;
    this.intro.classList.toggle("is-warning", Boolean(message));
    this.setBusy(false);
    if (!this.dialog.open) this.dialog.showModal();
    this.input.focus();
    this.check();
  }

  close() {
    this.setBusy(false);
    if (this.dialog.open) this.dialog.close();
  }

  /** The server refused the name (taken, invalid, unavailable). */
  showError(message) {
    this.setBusy(false);
    this.show(message, "is-bad");
    this.input.focus();
  }

  shapeProblem(username) {
    return username.length < this.min || username.length > this.max || !NAME_RE.test(username);
  }

  setBusy(busy, text) {
    this.busy = busy;
    this.random.disabled = busy;
    this.input.readOnly = busy;
    this.confirm.disabled = busy || this.shapeProblem(this.input.value.trim());
    if (text) this.show(text, "");
  }

  show(text, tone) {
    this.feedback.textContent = text;
    this.feedback.className = `picker-feedback ${tone}`.trim();
  }

  /** Debounced availability check; only the answer for the current text is shown. */
  check() {
    clearTimeout(this.timer);
    this.request?.abort();
    const username = this.input.value.trim();
    this.confirm.disabled = this.busy || this.shapeProblem(username);
    if (!username) {
      this.show(this.rule, "");
      return;
    }
    if (this.shapeProblem(username)) {
      this.show(this.rule, "is-bad");
      return;
    }
    this.show("Checking…", "");
    this.timer = setTimeout(() => this.fetchAvailability(username), CHECK_DELAY_MS);
  }

  async fetchAvailability(username) {
    const request = new AbortController();
    this.request = request;
    try {
      const response = await fetch(this.availabilityUrl + encodeURIComponent(username), {
        signal: request.signal,
        headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      if (request.signal.aborted || this.busy) return;
      if (answer.available) this.show("Available", "is-ok");
      else if (answer.reason === "taken") this.show("Taken", "is-bad");
      else this.show(this.rule, "is-bad");
    } catch (error) {
      if (error.name !== "AbortError") this.show("Could not check the name right now.", "");
    }
  }
}

// Refusals of a `join` that the join flow answers (the rest are shown as toasts).
const JOIN_ERRORS = new Set([
  "username_taken",
  "invalid_username",
  "invalid_token",
  "banned",
  "unavailable",
  "rate_limited",
]);
const REJOIN_AFTER_MS = 3000;

/**
 * The join flow: the saved identity, the `join` in flight, and what the server answered.
 * send(type, data) sends a frame; toast(text) tells the reader; onChange() runs when the name,
 * the joined state or the ban changes; restart() replaces the socket.
 */
export class Membership {
  constructor({ picker, send, toast, onChange, restart }) {
    Object.assign(this, { picker, send, toast, onChange, restart });
    this.identity = loadIdentity(); // {username, token}, saved after a welcome
    this.me = null; // {id, username} once a socket has joined
    this.joined = false; // this socket has joined
    this.joining = null; // the join payload waiting for its answer
    this.banned = false;
  }

  /** The reader may post (or will be able to, once joined). */
  get hasName() {
    return Boolean(this.identity || this.me) && !this.banned;
  }

  get username() {
    return this.me?.username ?? this.identity?.username ?? null;
  }

  request(payload) {
    this.joining = payload;
    this.send("join", payload);
  }

  /** Join again with the saved token (after a connect, or a `not_joined`). */
  rejoin() {
    if (this.identity) this.request({ token: this.identity.token });
  }

  connected() {
    if (this.joining) this.send("join", this.joining);
    else this.rejoin();
  }

  disconnected() {
    this.joined = false;
  }

  welcome({ id, username, token }) {
    this.me = { id, username };
    this.joined = true;
    this.joining = null;
    this.banned = false;
    this.identity = { username, token };
    saveIdentity(this.identity);
    this.picker.close();
    this.onChange();
  }

  setBanned() {
    this.banned = true;
    this.onChange();
  }

  /** True when `error` answers the join in flight (and was handled). */
  answers(error) {
    if (!this.joining || !JOIN_ERRORS.has(error.code)) return false;
    this.failed(error);
    return true;
  }

  failed(error) {
    const payload = this.joining;
    this.joining = null;
    if (error.code === "invalid_token") {
      this.lost("Your saved name is no longer yours. Choose a name again.");
    } else if (error.code === "banned") {
      this.picker.close();
      this.setBanned();
      this.toast(error.message);
    } else if (this.picker.isOpen) {
      this.picker.showError(error.message);
    } else if (error.code === "unavailable" && payload?.token) {
      setTimeout(() => this.joined || this.joining || this.request(payload), REJOIN_AFTER_MS);
    } else {
      this.toast(error.message);
    }
  }

  /** The saved token owns no name any more: forget it and ask for a name again. */
  lost(message) {
    forgetIdentity();
    this.identity = null;
    this.me = null;
    this.onChange();
    this.picker.open(message);
    // A socket that joined keeps its old name; a fresh one can take a new name.
    if (this.joined) this.restart();
  }
}
