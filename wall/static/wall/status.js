// The connection's state in the top bar: connecting, live, or reconnecting with a countdown.

const LABELS = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting" };

export class ConnectionStatus {
  constructor({ box, text, countdown }) {
    Object.assign(this, { box, text, countdown });
    this.connection = { state: "connecting", retryAt: null };
  }

  get state() {
    return this.connection.state;
  }

  /** The socket's new state ({state, retryAt}). */
  set(connection) {
    this.connection = connection;
    this.render();
  }

  /** Once a second: the countdown to the next attempt. */
  tick() {
    if (this.connection.retryAt) this.render();
  }

  render() {
    const { state, retryAt } = this.connection;
    this.box.dataset.state = state;
    const seconds = retryAt ? Math.ceil((retryAt - Date.now()) / 1000) : 0;
    const countdown = state === "reconnecting" ? (seconds > 0 ? ` in ${seconds} s` : "…") : "";
    if (this.text.textContent !== LABELS[state]) this.text.textContent = LABELS[state];
    if (this.countdown.textContent !== countdown) this.countdown.textContent = countdown;
  }
}
