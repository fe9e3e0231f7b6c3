// Readers report posts: a "Report" button on others' posts once joined, a short dialog (spam, abuse,
// other, and a note), and "Reported" once the server recorded it.

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

  /** Add a Report button to every post of someone else's (after joining, and as posts arrive). */
  decorateAll() {
    if (!this.canReport()) return;
    for (const item of this.ui.posts.querySelectorAll(".post[data-id]:not(.is-mine):not(.has-report)")) {
      item.classList.add("has-report");
      const foot = el("div", "report-tools");
      if (this.reported.has(item.dataset.id)) foot.append(el("span", "report-done", "Reported"));
      else {
        const button = el("button", "link-button report-action", "Report");
        button.type = "button";
        button.addEventListener("click", () => this.ask(item));
        foot.append(button);
      }
      item.querySelector(".post-body")?.append(foot);
    }
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
    const tools = document.getElementById(`post-${id}`)?.querySelector(".report-tools");
    tools?.replaceChildren(el("span", "report-done", "Reported"));
  }
}
