// The connection's state: the top bar's pill, and a full-width banner with a countdown and "Try now"
// while the wall is unreachable.

const LABELS = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting" };

export class ConnectionStatus {
  /** `banner` (optional) holds `bannerText` and the `retry` button; onRetry() skips the wait. */
  constructor({ box, text, countdown, banner, bannerText, retry, onRetry }) {
    Object.assign(this, { box, text, countdown, banner, bannerText, retry });
    this.connection = { state: "connecting", retryAt: null };
    retry?.addEventListener("click", () => onRetry());
    addEventListener("offline", () => this.render());
    addEventListener("online", () => this.render());
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
    const seconds = retryAt ? Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) : 0;
    const countdown = state === "reconnecting" ? (seconds > 0 ? ` in ${seconds} s` : "…") : "";
    if (this.text.textContent !== LABELS[state]) this.text.textContent = LABELS[state];
    if (this.countdown.textContent !== countdown) this.countdown.textContent = countdown;

    if (!this.banner) return;
    const offline = navigator.onLine === false;
    this.banner.hidden = state !== "reconnecting" && !offline;
    this.banner.classList.toggle("is-offline", offline);
    let message = "Connection lost. Reconnecting…";
    if (offline) message = "You are offline. The wall reconnects when the network is back.";
    else if (seconds > 0) message = `Connection lost. Reconnecting in ${seconds} s`;
    if (this.bannerText.textContent !== message) this.bannerText.textContent = message;
    this.retry.hidden = seconds === 0 && !offline;
  }
}
