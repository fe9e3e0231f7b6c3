// Your name's menu: a code (and QR code) for another device, a recovery code, rename, sign out here.

// The page's elements this module drives, by key: their ids in templates/wall/index.html.
const ELEMENT_IDS = {
  toggle: "me-toggle",
  menu: "me-menu",
  device: "me-device",
  recovery: "me-recovery",
  rename: "me-rename",
  signout: "me-signout",
  deviceDialog: "device-dialog",
  deviceTitle: "device-title",
  deviceIntro: "device-intro",
  deviceQr: "device-qr",
  deviceCode: "device-code",
  deviceExpiry: "device-expiry",
  deviceError: "device-error",
  deviceClose: "device-close",
  signoutDialog: "signout-dialog",
  signoutCode: "signout-code",
  signoutRecovery: "signout-recovery",
  signoutConfirm: "signout-confirm",
  signoutCancel: "signout-cancel",
  renameDialog: "rename-dialog",
  renameForm: "rename-form",
  renameName: "rename-name",
  renameFeedback: "rename-feedback",
  renameConfirm: "rename-confirm",
  renameCancel: "rename-cancel",
};
const RENAME_ERRORS = new Set(["invalid_username", "username_taken", "username_reserved", "rate_limited"]);

/** The code a link carries (`/?code=K7QF3M9X`), taken off the address so a reload does not reuse it. */
export function codeFromAddress() {
  const url = new URL(location.href);
  const code = url.searchParams.get("code");
  if (!code) return null;
  url.searchParams.delete("code");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  return code;
}

/**
 * The menu under "You are …" and its dialogs. membership gives the token and the name; send(type,
 * data) sends a frame. The server's answers come back through renamed(), renameRefused() and
 * signedOut() (wall.js routes them).
 */
export class NameMenu {
  /** The elements by key, looked up with byId. */
  static elements(byId) {
    return Object.fromEntries(Object.entries(ELEMENT_IDS).map(([key, id]) => [key, byId(id)]));
  }

  constructor({ ui, deviceCodeUrl, recoveryCodeUrl, membership, send, toast }) {
    Object.assign(this, { ui, deviceCodeUrl, recoveryCodeUrl, membership, send, toast });
    this.renaming = null; // the name asked for, until the server answers

    ui.toggle.addEventListener("click", () => this.setOpen(ui.menu.hidden));
    document.addEventListener("click", (event) => {
      if (!ui.menu.hidden && !ui.menu.contains(event.target) && !ui.toggle.contains(event.target)) this.setOpen(false);
    });
    ui.menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.setOpen(false, true);
    });
    ui.device.addEventListener("click", () => this.showCode(this.deviceCodeUrl));
    ui.recovery.addEventListener("click", () => this.showCode(this.recoveryCodeUrl));
    ui.rename.addEventListener("click", () => this.openRename());
    ui.signout.addEventListener("click", () => this.openDialog(ui.signoutDialog));
    ui.deviceClose.addEventListener("click", () => ui.deviceDialog.close());
    ui.signoutCode.addEventListener("click", () => {
      ui.signoutDialog.close();
      this.showCode(this.deviceCodeUrl);
    });
    ui.signoutRecovery.addEventListener("click", () => {
      ui.signoutDialog.close();
      this.showCode(this.recoveryCodeUrl);
    });
    ui.signoutCancel.addEventListener("click", () => ui.signoutDialog.close());
    ui.signoutConfirm.addEventListener("click", () => {
      ui.signoutDialog.close();
      if (!this.send("sign_out")) this.toast("Not connected: try again in a moment.");
    });
    ui.renameCancel.addEventListener("click", () => this.closeRename());
    ui.renameForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const username = ui.renameName.value.trim();
      if (!username || this.renaming) return;
      if (!this.send("rename", { username })) {
        this.renameFeedback("Not connected: try again in a moment.");
        return;
      }
      this.renaming = username;
      ui.renameConfirm.disabled = true;
      this.renameFeedback("Renaming…", "");
    });
  }

  setOpen(open, refocus = false) {
    this.ui.menu.hidden = !open;
    this.ui.toggle.setAttribute("aria-expanded", String(open));
    if (open) this.ui.menu.querySelector("button")?.focus();
    else if (refocus) this.ui.toggle.focus();
  }

  openDialog(dialog) {
    this.setOpen(false);
    if (!dialog.open) dialog.showModal();
  }

  /** Ask the server for a device code (with its QR code) or a recovery code, and show it. */
  async showCode(url) {
    const recovery = url === this.recoveryCodeUrl;
    const { deviceDialog, deviceTitle, deviceIntro, deviceQr, deviceCode, deviceExpiry, deviceError } = this.ui;
    deviceTitle.textContent = recovery ? "Your recovery code" : "Use this name on another device";
    deviceIntro.textContent = recovery
      ? "Write it down and keep it safe. Entered on any device, it gives it your name, until you make a new one."
      : "On the other device, scan this code or open the wall and enter the code. It works once, for 10 minutes.";
    deviceQr.hidden = true;
    deviceQr.removeAttribute("src");
    deviceCode.textContent = "…";
    deviceExpiry.textContent = "";
    deviceError.hidden = true;
    this.openDialog(deviceDialog);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "X-Wall-Token": this.membership.identity?.token ?? "", Accept: "application/json" },
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error || `The server answered ${response.status}.`);
      deviceCode.textContent = answer.code;
      if (!recovery) {
        deviceQr.src = answer.qr; // an SVG data: URL made by the server
        deviceQr.hidden = false;
        const until = new Date(answer.expires_at);
        deviceExpiry.textContent = `Or open ${answer.url} — until ${until.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}.`;
      }
    } catch (error) {
      deviceCode.textContent = "";
      deviceError.textContent = error.message || "Could not make a code right now.";
      deviceError.hidden = false;
    }
  }

  openRename() {
    this.ui.renameName.value = this.membership.username ?? "";
    this.renameFeedback("", "");
    this.ui.renameConfirm.disabled = false;
    this.openDialog(this.ui.renameDialog);
    this.ui.renameName.select();
  }

  closeRename() {
    this.renaming = null;
    this.ui.renameDialog.close();
  }

  renameFeedback(text, tone = "is-bad") {
    this.ui.renameFeedback.textContent = text;
    this.ui.renameFeedback.className = `picker-feedback ${tone}`.trim();
  }

  /** This reader's own rename went through (its `user_renamed` came back). */
  renamed() {
    if (this.renaming !== null) this.closeRename();
  }

  /** True when `error` answers the rename in flight (and was shown in the dialog). */
  renameRefused(error) {
    if (this.renaming === null || !RENAME_ERRORS.has(error.code)) return false;
    this.renaming = null;
    this.ui.renameConfirm.disabled = false;
    this.renameFeedback(error.message);
    return true;
  }

  render() {
    if (!this.membership.joined) this.setOpen(false);
  }
}
