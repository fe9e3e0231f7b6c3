// Who the reader is: the saved name and token, and the dialog that picks a name.

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
