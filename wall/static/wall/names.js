// Who the reader is: the saved name and token, the dialog that picks a name, and the join flow.

const IDENTITY_KEY = "wall.identity";
const CHECK_DELAY_MS = 250;
// A first check only: letters, marks and digits of any script, _, - and single spaces. The server
// decides the rest (look-alikes, mixed scripts) and names the character at fault (docs/protocol.md).
const NAME_CHAR = /[\p{L}\p{M}\p{Nd}_ -]/u;

/** Why a name cannot be used, naming the first character that is not allowed, or null. */
export function nameProblem(username, min, max) {
  const rule = `${min}–${max} letters, digits, _, - or single spaces`;
  const bad = [...username].find((char) => !NAME_CHAR.test(char));
  if (bad !== undefined) {
    const shown = /\s/.test(bad) ? "This kind of space" : `“${bad}” (U+${bad.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")})`;
    return `${shown} cannot be part of a name: use ${rule}.`;
  }
  if (username.includes("  ")) return "Use one space between words, not two.";
  const length = [...username.normalize("NFC")].length;
  if (length < min) return `Too short: use ${rule}.`;
  if (length > max) return `Too long: use ${rule}.`;
  return null;
}

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
 * The name dialog: checks availability as the reader types (offering a free variant of a taken name)
 * and calls onChoose({username}) or onChoose({}) for a random name. The server's answer comes back
 * through showError() or close(). It opens without a backdrop, in the composer's place, so the
 * wall stays in view while the reader chooses.
 */
export class NamePicker {
  constructor({ dialog, min, max, availabilityUrl, onChoose, onCode }) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.input = dialog.querySelector("#picker-name");
    this.feedback = dialog.querySelector("#picker-feedback");
    this.confirm = dialog.querySelector("#picker-confirm");
    this.random = dialog.querySelector("#picker-random");
    this.later = dialog.querySelector("#picker-later");
    this.intro = dialog.querySelector("#picker-intro");
    this.suggestion = dialog.querySelector("#picker-suggestion");
    this.introText = this.intro.textContent;
    Object.assign(this, { min, max, availabilityUrl, onChoose, onCode });
    this.codeForm = dialog.querySelector("#picker-code-form");
    this.codeInput = dialog.querySelector("#picker-code");
    this.rule = `${min}–${max} letters, digits, _, - or single spaces`;
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
    // A code from another device (or a recovery code) brings a name that is already someone's: yours.
    this.codeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const code = this.codeInput.value.trim();
      if (this.busy || !code) return;
      this.setBusy(true, "Checking the code…");
      this.onCode(code);
    });
    this.suggestion.addEventListener("click", () => {
      this.input.value = this.suggestion.dataset.name;
      this.input.focus();
      this.check();
    });
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.busy) this.close();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  open(message = null) {
    this.intro.textContent = message ?? this.introText;
    this.intro.classList.toggle("is-warning", Boolean(message));
    this.setBusy(false);
    if (!this.dialog.open) this.dialog.show();
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
    return nameProblem(username, this.min, this.max) !== null;
  }

  /** "Use this name" works only for a name of the right shape that is not known to be taken. */
  setConfirmable() {
    const taken = this.feedback.dataset.taken === this.input.value.trim();
    this.confirm.disabled = this.busy || taken || this.shapeProblem(this.input.value.trim());
  }

  offer(name) {
    this.suggestion.hidden = !name;
    this.suggestion.dataset.name = name ?? "";
    this.suggestion.textContent = name ? `Use “${name}” instead` : "";
  }

  setBusy(busy, text) {
    this.busy = busy;
    this.random.disabled = busy;
    this.input.readOnly = busy;
    this.setConfirmable();
    if (text) this.show(text, "");
  }

  show(text, tone, taken = null) {
    this.feedback.dataset.taken = taken ?? "";
    if (!taken) this.offer(null);
    this.feedback.textContent = text;
    this.feedback.className = `picker-feedback ${tone}`.trim();
  }

  /** Debounced availability check; only the answer for the current text is shown. */
  check() {
    clearTimeout(this.timer);
    this.request?.abort();
    const username = this.input.value.trim();
    this.show(username ? "Checking…" : this.rule, "");
    this.setConfirmable();
    if (!username) return;
    if (this.shapeProblem(username)) {
      this.show(nameProblem(username, this.min, this.max), "is-bad");
      return;
    }
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
      else if (answer.reason === "taken") {
        this.show("Taken", "is-bad", username);
        this.offer(typeof answer.suggestion === "string" ? answer.suggestion : null);
      } else if (answer.reason === "reserved") {
        this.show(answer.message ?? "Kept for now: someone gave this name up lately.", "is-bad", username);
      } else {
        // Refused by a rule only the server knows (look-alikes, mixed scripts): not confirmable.
        this.show(answer.message ?? nameProblem(username, this.min, this.max) ?? this.rule, "is-bad", username);
      }
      this.setConfirmable();
    } catch (error) {
      if (error.name !== "AbortError") this.show("Could not check the name right now.", "");
    }
  }
}

// Refusals of a `join` that the join flow answers (the rest are shown as toasts).
const JOIN_ERRORS = new Set([
  "username_taken",
  "username_reserved",
  "invalid_username",
  "invalid_token",
  "banned",
  "unavailable",
  "rate_limited",
  "invalid_code",
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
    this.ban = null; // {reason, until} of the ban in force, for the banner
    this.banTimer = null;
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
    this.ban = null;
    this.identity = { username, token };
    saveIdentity(this.identity);
    this.picker.close();
    this.onChange();
  }

  /** A `banned` error ({reason, until}): one banner; a timed ban lifts itself when it ends. */
  setBanned(error = {}) {
    this.banned = true;
    const until = typeof error.until === "string" && !Number.isNaN(Date.parse(error.until)) ? error.until : null;
    this.ban = { reason: typeof error.reason === "string" ? error.reason : "", until };
    clearTimeout(this.banTimer);
    if (until) {
      // A second late, and at least 5 s apart, so a clock ahead of the server's cannot spin.
      const wait = Math.min(Math.max(Date.parse(until) - Date.now() + 1000, 5000), 2 ** 31 - 1);
      this.banTimer = setTimeout(() => this.banEnded(), wait);
    }
    this.onChange();
  }

  /** A timed ban's end: join again with the saved token (the server decides whether it is over). */
  banEnded() {
    this.banned = false;
    this.ban = null;
    this.onChange();
    this.rejoin();
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
    } else if (error.code === "invalid_code" && !this.picker.isOpen) {
      this.picker.open(error.message);
    } else if (error.code === "banned") {
      this.picker.close();
      this.setBanned(error); // the banner says it: no toast as well
    } else if (this.picker.isOpen) {
      this.picker.showError(error.message);
    } else if (error.code === "unavailable" && payload?.token) {
      setTimeout(() => this.joined || this.joining || this.request(payload), REJOIN_AFTER_MS);
    } else {
      this.toast(error.message);
    }
  }

  /** This participant's name changed (here or on another device). */
  renamed(username) {
    this.me = { ...this.me, username };
    if (this.identity) {
      this.identity = { ...this.identity, username };
      saveIdentity(this.identity);
    }
    this.onChange();
  }

  /** This device signed out (`signed_out`): forget the name here; the server closes the socket. */
  signedOut() {
    forgetIdentity();
    this.identity = null;
    this.me = null;
    this.joined = false;
    this.onChange();
    this.picker.open("You signed out on this device. Choose a name, or enter a code from another device.");
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
