// The wall's WebSocket: one connection at a time, reconnecting by itself with capped backoff and jitter.

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const JITTER = 0.3;
// A connection that lasted this long worked: the next loss starts the backoff afresh. A server that
// accepts and then drops every socket at once (a crash on some frame) keeps backing off instead.
const HEALTHY_AFTER_MS = 5000;
// Dead-connection check: after PING_AFTER_MS without any frame the page sends `ping`; if nothing at
// all comes back within PONG_WITHIN_MS the connection is dead (a sleeping laptop, a proxy that
// dropped it silently) and is replaced at once instead of waiting for TCP to notice.
// Defaults; the page passes the server's settings (WALL_PING_AFTER, WALL_PONG_WITHIN).
const PING_AFTER_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
// The same check, sooner, when there is a reason to doubt the connection: the tab comes back, the
// network comes back, or a frame that the server always answers (a post, a join, a read, a history
// page) has had no frame at all back for PROBE_AFTER_MS. Then a ping must be answered within
// PROBE_WITHIN_MS. A quiet wall with nothing asked keeps the 25 s + 10 s budget as its upper bound.
const PROBE_AFTER_MS = 3000;
const PROBE_WITHIN_MS = 4000;
const UNANSWERED = new Set(["typing"]); // frames the server does not answer

/** ws: or wss: to match the page, on the page's own host. */
export function socketUrl(path, since) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (since != null) url.searchParams.set("since", String(since));
  return url.href;
}

/** 0.5 s doubling to 15 s, each ±30 %. */
export function backoffDelay(attempt) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** attempt);
  return Math.round(base * (1 + (Math.random() * 2 - 1) * JITTER));
}

export class WallSocket {
  /**
   * onFrame({type, data}) for every JSON frame; onOpen() after each connect; onClose() after each loss;
   * onStatus({state, retryAt}) with state "connecting" | "live" | "reconnecting".
   * since() gives the ?since= value for each (re)connect, or null.
   */
  constructor({ path, since, onFrame, onOpen, onClose, onStatus, pingAfterMs, pongWithinMs }) {
    Object.assign(this, { path, since, onFrame, onOpen, onClose, onStatus });
    this.pingAfterMs = pingAfterMs || PING_AFTER_MS;
    this.pongWithinMs = pongWithinMs || PONG_WITHIN_MS;
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.everOpened = false;
    this.openedAt = null;
    this.lastFrameAt = Date.now();
    this.pingSentAt = null;
    this.pongWithin = this.pongWithinMs;
    this.askedAt = null; // when a frame the server answers went out, until any frame comes back
    setInterval(() => this.checkAlive(), 1000);
    // The browser knows the network is gone: do not wait for a ping to find out.
    addEventListener("offline", () => this.restart());
    addEventListener("online", () => this.wakeUp());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.wakeUp();
    });
  }

  /** The tab or the network is back: reconnect now if waiting, else check the connection at once. */
  wakeUp() {
    if (this.retryTimer !== null) this.retryNow();
    else this.probe();
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = new WebSocket(socketUrl(this.path, this.since()));
    this.ws = ws;
    this.onStatus({ state: this.everOpened ? "reconnecting" : "connecting", retryAt: null });
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.everOpened = true;
      this.openedAt = Date.now();
      this.lastFrameAt = Date.now();
      this.onStatus({ state: "live", retryAt: null });
      this.onOpen();
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      this.pingSentAt = null;
      this.askedAt = null;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === "string") this.onFrame(frame);
    });
    // "error" is always followed by "close", so only close is handled.
    ws.addEventListener("close", () => {
      if (ws !== this.ws) return;
      this.lost();
    });
  }

  /** Forget the current connection and schedule the next one. */
  lost() {
    if (this.openedAt !== null && Date.now() - this.openedAt >= HEALTHY_AFTER_MS) this.attempt = 0;
    this.openedAt = null;
    this.ws = null;
    this.onClose();
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const delay = backoffDelay(this.attempt);
    this.attempt = Math.min(this.attempt + 1, 10);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.onStatus({ state: "reconnecting", retryAt: Date.now() + delay });
  }

  /** Skip the rest of a backoff wait (the network came back, the tab became visible, "Try now"). */
  retryNow() {
    if (this.retryTimer !== null) this.connect();
  }

  /** Ping a quiet connection; replace one that does not answer. */
  checkAlive() {
    if (!this.isOpen()) return;
    const now = Date.now();
    if (this.pingSentAt !== null) {
      if (now - this.pingSentAt > this.pongWithin) this.restart();
    } else if (this.askedAt !== null && now - this.askedAt > PROBE_AFTER_MS) {
      this.probe();
    } else if (now - this.lastFrameAt > this.pingAfterMs) {
      this.ping(this.pongWithinMs);
    }
  }

  /** Ping now and expect an answer soon (unless a ping is already out). */
  probe() {
    if (this.isOpen() && this.pingSentAt === null) this.ping(Math.min(PROBE_WITHIN_MS, this.pongWithinMs));
  }

  ping(within) {
    this.pingSentAt = Date.now();
    this.pongWithin = within;
    this.send("ping");
  }

  /** Drop a connection that looks dead (or the network that is gone) and start over. */
  restart() {
    const ws = this.ws;
    if (!ws) return;
    this.pingSentAt = null;
    this.askedAt = null;
    this.lost();
    ws.close();
  }

  isOpen() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Send one frame; false when there is no open connection (the caller keeps what it wanted to send). */
  send(type, data = {}) {
    if (!this.isOpen()) return false;
    this.ws.send(JSON.stringify({ type, data }));
    if (type !== "ping" && !UNANSWERED.has(type) && this.askedAt === null) this.askedAt = Date.now();
    return true;
  }
}
