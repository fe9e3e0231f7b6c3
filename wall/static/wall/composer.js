// The composer: the draft (kept across reloads), its counter and hint, typing, and images to attach.

import { imageFile } from "./images.js";
import { isBlank } from "./text.js";

const DRAFT_KEY = "wall.draft";
const TYPING_EVERY_MS = 2000;
const MAX_HEIGHT_PX = 220;
// On a touch keyboard Enter makes a new line and the Send button sends, as in messaging apps.
const touchKeyboard = matchMedia("(pointer: coarse)");
const KEYBOARD_HINT = "Enter to send, Shift+Enter for a new line; paste or drop an image";

export class Composer {
  /**
   * `ui` holds the form's elements; membership says who may post; pending takes the posts sent;
   * attachment is the image slot; send(type) sends a frame; onSent() runs after a post is queued;
   * sendEdit(id, content) sends an edit; lastEditable() is {id, content} of the reader's newest post
   * that may still be edited, or null (Up-arrow in an empty draft edits it).
   */
  constructor({ ui, contentMax, membership, pending, attachment, picker, send, onSent, sendEdit, lastEditable }) {
    Object.assign(this, { ui, contentMax, membership, pending, attachment, picker, send, onSent });
    Object.assign(this, { sendEdit, lastEditable });
    this.lastTypingSent = 0;
    this.dragDepth = 0;
    // null, {kind: "reply", replyTo: {id, author, excerpt}} or {kind: "edit", id, draft} (the draft
    // the edit replaced in the box, put back when it ends).
    this.mode = null;
    ui.modeCancel.addEventListener("click", () => {
      this.cancelMode();
      this.focus();
    });
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    ui.draft.addEventListener("keydown", (event) => {
      if (!membership.hasName && !["Tab", "Shift", "Escape"].includes(event.key)) {
        event.preventDefault();
        this.askForName();
      } else if (event.key === "Escape" && this.mode) {
        event.preventDefault();
        this.cancelMode();
      } else if (event.key === "ArrowUp" && !ui.draft.value && !this.mode && !event.shiftKey && !event.altKey) {
        const last = this.lastEditable();
        if (last) {
          event.preventDefault();
          this.startEdit(last);
        }
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touchKeyboard.matches) {
        event.preventDefault();
        this.submit();
      }
    });
    ui.draft.addEventListener("input", () => {
      this.onInput();
      this.sendTyping();
    });
    ui.chooseName.addEventListener("click", () => this.askForName());
    // The greyed composer is a way in: a click on it asks for a name.
    ui.draft.addEventListener("click", () => membership.hasName || this.askForName());
    touchKeyboard.addEventListener("change", () => this.render());
    this.listenForImages();
  }

  askForName() {
    if (!this.membership.banned) this.picker.open();
  }

  /** Focus the draft (after choosing a name). */
  focus() {
    this.ui.draft.focus();
  }

  /** The draft a closed page left. */
  restore() {
    try {
      this.ui.draft.value = localStorage.getItem(DRAFT_KEY) ?? "";
    } catch {
      // No storage: start with an empty draft.
    }
    this.onInput();
  }

  /** Put text (a refused post) back in front of the draft, with its image and the post it answered, and focus it. */
  putBack(content, file, replyTo = null) {
    if (this.mode?.kind === "edit") this.cancelMode();
    const draft = this.ui.draft.value.trim();
    this.ui.draft.value = draft ? `${content}\n${draft}` : content;
    if (file) this.attachment.attach(file);
    if (replyTo) this.startReply(replyTo);
    this.onInput();
    this.ui.draft.focus();
  }

  length() {
    return [...this.ui.draft.value.trim()].length;
  }

  // --- reply and edit: the box answers a post, or holds one of the reader's own to change -------------

  /** Answer `replyTo` ({id, author, excerpt}) with the next post. */
  startReply(replyTo) {
    if (!this.membership.hasName) {
      this.askForName();
      return;
    }
    if (this.mode?.kind === "edit") this.cancelMode();
    this.mode = { kind: "reply", replyTo };
    this.render();
    this.focus();
  }

  /** Put the reader's post {id, content} in the box to change it; Enter saves, Escape cancels. */
  startEdit({ id, content }) {
    if (this.mode?.kind === "edit" && this.mode.id === id) return this.focus();
    const draft = this.mode?.kind === "edit" ? this.mode.draft : this.ui.draft.value;
    this.mode = { kind: "edit", id, draft };
    this.ui.draft.value = content;
    this.onInput();
    this.focus();
    this.ui.draft.setSelectionRange(content.length, content.length);
  }

  /** Stop replying or editing; an edit's text leaves and the draft it replaced comes back. */
  cancelMode() {
    const mode = this.mode;
    this.mode = null;
    if (mode?.kind === "edit") {
      this.ui.draft.value = mode.draft;
      this.onInput();
    }
    this.render();
  }

  /** The post `id` is gone: stop answering or editing it. */
  forget(id) {
    if (this.mode && (this.mode.id === id || this.mode.replyTo?.id === id)) this.cancelMode();
  }

  submitEdit() {
    const content = this.ui.draft.value.trim();
    if ([...content].length > this.contentMax) return;
    if (!this.sendEdit(this.mode.id, content)) return; // Not connected: the text stays in the box.
    this.cancelMode();
  }

  submit() {
    const { membership, attachment } = this;
    if (!membership.hasName) {
      this.askForName();
      return;
    }
    if (this.mode?.kind === "edit") {
      this.submitEdit();
      return;
    }
    const content = this.ui.draft.value.trim();
    if (attachment.present && !attachment.ready) return; // The hint shows why it cannot be posted.
    if ((isBlank(content) && !attachment.ready) || [...content].length > this.contentMax) return;
    const image = attachment.ready ? attachment.take() : null;
    const replyTo = this.mode?.kind === "reply" ? this.mode.replyTo : null;
    this.pending.add(content, membership.username, image && { preview: image.preview, upload: image.upload }, replyTo);
    this.mode = null;
    this.ui.draft.value = "";
    this.onInput();
    this.onSent();
  }

  onInput() {
    const draft = this.ui.draft;
    try {
      if (this.mode?.kind === "edit") {
        // The box holds a post being changed, not the draft: the draft stays saved as it was.
      } else if (draft.value) localStorage.setItem(DRAFT_KEY, draft.value);
      else localStorage.removeItem(DRAFT_KEY);
    } catch {
      // No storage (private mode): the draft lasts for this page only.
    }
    draft.style.height = "auto";
    draft.style.height = `${Math.min(draft.scrollHeight, MAX_HEIGHT_PX)}px`;
    this.render();
  }

  sendTyping() {
    const now = Date.now();
    if (!this.membership.joined || isBlank(this.ui.draft.value)) return;
    if (now - this.lastTypingSent >= TYPING_EVERY_MS && this.send("typing")) this.lastTypingSent = now;
  }

  render() {
    const { ui, membership, attachment } = this;
    const named = membership.hasName;
    const length = this.length();
    const max = this.contentMax;
    // Read-only, not disabled, so that a click on it still asks for a name.
    ui.draft.readOnly = !named;
    ui.draft.classList.toggle("is-locked", !named);
    ui.draft.placeholder = named ? "Write a post…" : "Choose a name to post";
    const editing = this.mode?.kind === "edit";
    const refusedImage = attachment.present && !attachment.ready && !editing;
    const blank = isBlank(ui.draft.value);
    // An edit may empty the text of a post with an image; the server decides (`empty`).
    ui.send.disabled = !named || (blank && !attachment.ready && !editing) || length > max || refusedImage;
    ui.send.textContent = editing ? "Save" : "Send";
    ui.attach.disabled = membership.banned || editing;
    this.renderMode();
    ui.counter.textContent = `${length} / ${max}`;
    ui.counter.classList.toggle("is-near", length >= max * 0.9 && length <= max);
    ui.counter.classList.toggle("is-over", length > max);
    ui.chooseName.hidden = named || membership.banned;
    let hint = touchKeyboard.matches ? "" : KEYBOARD_HINT;
    if (membership.banned) hint = "This name is banned from the wall.";
    else if (!named) hint = "Reading only.";
    else if (length > max) hint = `Too long by ${length - max} characters.`;
    else if (refusedImage) hint = "Remove the image to send.";
    else if (!membership.joined) hint = "Posts wait here until the wall is back.";
    ui.hint.textContent = hint;
    ui.hint.classList.toggle("is-keyboard-hint", hint === KEYBOARD_HINT);
  }

  renderMode() {
    const { ui, mode } = this;
    ui.mode.hidden = !mode;
    ui.form.classList.toggle("is-editing", mode?.kind === "edit");
    if (!mode) return;
    if (mode.kind === "edit") {
      ui.modeText.textContent = "Editing your post · Enter to save, Escape to cancel";
      ui.modeCancel.setAttribute("aria-label", "Cancel the edit");
    } else {
      const { author, excerpt } = mode.replyTo;
      ui.modeText.textContent = `Replying to ${author}: ${excerpt || "an image"}`;
      ui.modeCancel.setAttribute("aria-label", "Cancel the reply");
    }
    ui.modeCancel.title = ui.modeCancel.getAttribute("aria-label");
  }

  // --- images: paste, drop or pick ------------------------------------------------------------------

  attachImage(file) {
    if (!this.membership.hasName) {
      this.askForName();
      return;
    }
    this.attachment.attach(file);
    this.ui.draft.focus();
  }

  listenForImages() {
    const { ui } = this;
    ui.attach.addEventListener("click", () => (this.membership.hasName ? ui.attachInput.click() : this.askForName()));
    ui.attachInput.addEventListener("change", () => {
      const file = ui.attachInput.files[0];
      ui.attachInput.value = "";
      if (file) this.attachImage(file);
    });
    // A pasted screenshot or copied image; a paste that also carries plain text (from an office
    // program, which adds a picture of the text) stays a text paste.
    document.addEventListener("paste", (event) => {
      const file = imageFile(event.clipboardData);
      if (!file || this.picker.isOpen || event.clipboardData.types.includes("text/plain")) return;
      event.preventDefault();
      this.attachImage(file);
    });
    const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
    const dropping = (on) => {
      ui.pane.classList.toggle("is-dropping", on);
      if (!on) this.dragDepth = 0;
    };
    ui.pane.addEventListener("dragenter", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      this.dragDepth += 1;
      dropping(true);
    });
    ui.pane.addEventListener("dragover", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    ui.pane.addEventListener("dragleave", () => {
      this.dragDepth -= 1;
      if (this.dragDepth <= 0) dropping(false);
    });
    ui.pane.addEventListener("drop", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      dropping(false);
      const file = imageFile(event.dataTransfer) ?? event.dataTransfer.files[0];
      if (file) this.attachImage(file);
    });
  }
}
