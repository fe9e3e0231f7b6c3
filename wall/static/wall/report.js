// Readers report posts: "Report" in the action bar of others' posts once joined, a short dialog (spam,
// abuse, other, and a note), and "Reported" on the post once the server recorded it.

import { el } from "./render.js";

export class ReportButtons {
  /** `ui`: the posts list and the dialog's parts; canReport() says whether this page has joined. */
  constructor({ ui, send, toast, canReport }) {
    Object.assign(this, { ui, send, toast, canReport });
    this.reported = new Set(); // post ids this page reported
    this.target = null; // the post id the dialog is for
    new MutationObserver(() => this.decorateAll()).observe(ui.posts, {
      childList: true,
      subtree: true,
      attributeFilter: ["data-id"],
    });
    ui.form.addEventListener("submit", (event) => this.onSubmit(event));
  }

  /** Mark the posts this page has reported ("Reported"), as they arrive. The Report action itself is
   * an entry of the post action bar (wall.js, actions.js). */
  decorateAll() {
    for (const id of this.reported) this.mark(id);
  }

  /** Whether this page may report `post` now: someone else's, after joining, not reported yet. */
  mayReport(post, mine) {
    return !mine && this.canReport() && !this.reported.has(post.id);
  }

  mark(id) {
    const body = document.getElementById(`post-${id}`)?.querySelector(".post-body");
    if (!body || body.querySelector(".report-tools")) return;
    const foot = el("div", "report-tools");
    foot.append(el("span", "report-done", "Reported"));
    body.append(foot);
  }

  ask(item) {
    const { ui } = this;
    this.target = item.dataset.id;
    const author = item.querySelector(".post-author")?.textContent ?? "";
    ui.post.textContent = `${author}: ${item.querySelector(".post-content")?.textContent ?? ""}`.slice(0, 200);
    ui.text.value = "";
    ui.dialog.showModal();
  }

  onSubmit(event) {
    const id = this.target;
    this.target = null;
    if (event.submitter?.value !== "confirm" || !id) return;
    const data = { id, reason: this.ui.reason.value, text: this.ui.text.value.trim().slice(0, 200) };
    if (!this.send("report", data)) this.toast("Not connected: try again in a moment.");
  }

  /** `reported`, or a refusal that says this page's report is already there: show "Reported". */
  done(id) {
    if (typeof id !== "string") return;
    this.reported.add(id);
    this.mark(id);
  }
}
