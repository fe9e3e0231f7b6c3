// Images in posts: the upload over HTTP with progress, the composer's attachment, and the full-size viewer.

import { closeButton, el } from "./render.js";

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
// 5 MB at 20 KB/s: past it the connection is taken for dead, so later posts stop waiting.
const UPLOAD_TIMEOUT_MS = 300_000;

/** "640 KB" or "4.2 MB". */
function fileSize(bytes) {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The first image file in a clipboard or drop, or null. */
export function imageFile(dataTransfer) {
  return [...(dataTransfer?.files ?? [])].find((file) => file.type.startsWith("image/")) ?? null;
}

/**
 * One upload to POST /api/images/ (XMLHttpRequest: fetch reports no upload progress).
 * `done` resolves to {id, url} or rejects with an Error whose message is the server's reason.
 */
export class Upload {
  constructor({ url, file, token }) {
    Object.assign(this, { url, file, token });
    this.progress = 0;
    this.listeners = new Set();
    this.xhr = new XMLHttpRequest();
    this.done = new Promise((resolve, reject) => this.start(resolve, reject));
    this.done.catch(() => {}); // Whoever holds the upload reads the failure; never an unhandled rejection.
  }

  start(resolve, reject) {
    const xhr = this.xhr;
    xhr.open("POST", this.url);
    xhr.setRequestHeader("X-Wall-Token", this.token);
    xhr.responseType = "json";
    xhr.timeout = UPLOAD_TIMEOUT_MS;
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) this.setProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response && typeof xhr.response === "object" ? xhr.response : {};
      if (xhr.status === 201 && typeof body.id === "string" && typeof body.url === "string") {
        this.setProgress(1);
        resolve({ id: body.id, url: body.url });
      } else {
        reject(new Error(typeof body.error === "string" ? body.error : `The upload failed (${xhr.status}).`));
      }
    });
    xhr.addEventListener("error", () => reject(new Error("The upload failed; check the connection.")));
    xhr.addEventListener("abort", () => reject(new Error("The upload was cancelled.")));
    xhr.addEventListener("timeout", () => reject(new Error("The upload took too long; try again.")));
    const form = new FormData();
    form.append("file", this.file, this.file.name || "image");
    xhr.send(form);
  }

  setProgress(fraction) {
    this.progress = fraction;
    for (const listener of this.listeners) listener(fraction);
  }

  /** listener(fraction) on every progress step; returns a function that stops listening. */
  onProgress(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  abort() {
    this.xhr.abort();
  }

  /** The same file sent again (after a failure). */
  again() {
    return new Upload({ url: this.url, file: this.file, token: this.token });
  }
}

/**
 * The image attached to the post being written: a preview with its upload progress and a remove
 * button. It uploads as soon as it is attached; `take()` hands it over to the pending posts on send.
 */
export class Attachment {
  /** upload(file) starts an Upload; onChange() runs when the attachment comes, goes or changes state. */
  constructor({ box, maxBytes, upload, onChange }) {
    Object.assign(this, { box, maxBytes, upload, onChange });
    this.current = null; // {file, preview, upload, error, uploaded}
  }

  get present() {
    return this.current !== null;
  }

  /** Ready to be posted: attached and not refused (it may still be uploading). */
  get ready() {
    return this.current !== null && this.current.error === null;
  }

  /** Attach `file` in place of any earlier one; a wrong type or size is refused here already. */
  attach(file) {
    this.clear({ abort: true });
    let error = null;
    if (!IMAGE_TYPES.includes(file.type)) error = "Only PNG, JPEG, GIF or WebP images can be posted.";
    else if (file.size > this.maxBytes) {
      error = `An image is at most ${fileSize(this.maxBytes)} (this one is ${fileSize(file.size)}).`;
    }
    const current = { file, preview: URL.createObjectURL(file), upload: null, error, uploaded: false };
    this.current = current;
    if (!error) {
      current.upload = this.upload(file);
      current.upload.onProgress(() => this.current === current && this.render());
      current.upload.done.then(
        () => {
          current.uploaded = true;
          if (this.current === current) this.render();
        },
        (failure) => {
          if (this.current !== current) return;
          current.error = failure.message;
          this.render();
          this.onChange();
        },
      );
    }
    this.render();
    this.onChange();
  }

  /** Hand the attachment over (to the post being sent) and empty the composer's slot. */
  take() {
    const current = this.current;
    this.current = null;
    this.render();
    return current;
  }

  /** Remove the attachment; an upload still running is cancelled. */
  clear({ abort = true } = {}) {
    const current = this.current;
    if (!current) return;
    this.current = null;
    if (abort && !current.uploaded) current.upload?.abort();
    URL.revokeObjectURL(current.preview);
    this.render();
    this.onChange();
  }

  render() {
    const current = this.current;
    this.box.hidden = current === null;
    if (!current) {
      this.box.replaceChildren();
      return;
    }
    const thumb = el("img", "attachment-thumb");
    thumb.src = current.preview;
    thumb.alt = "";
    const name = el("span", "attachment-name", current.file.name || "Pasted image");
    const info = el("div", "attachment-info");
    info.append(name);
    if (current.error) {
      info.append(el("span", "attachment-status is-error", current.error));
    } else if (current.uploaded) {
      info.append(el("span", "attachment-status", `${fileSize(current.file.size)} · ready`));
    } else {
      const percent = Math.round((current.upload?.progress ?? 0) * 100);
      const bar = el("progress", "attachment-progress");
      bar.max = 100;
      bar.value = percent;
      bar.setAttribute("aria-label", "Upload progress");
      info.append(bar, el("span", "attachment-status", `Uploading… ${percent} %`));
    }
    const remove = closeButton("attachment-remove", "Remove the image");
    remove.addEventListener("click", () => this.clear());
    this.box.replaceChildren(thumb, info, remove);
  }
}

/** Full-size images in a modal dialog; a click anywhere or Escape closes it. */
export class Lightbox {
  constructor(dialog) {
    this.dialog = dialog;
    this.image = el("img", "lightbox-image");
    this.caption = el("p", "lightbox-caption");
    const close = closeButton("lightbox-close", "Close");
    dialog.append(close, this.image, this.caption);
    dialog.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => this.image.removeAttribute("src"));
  }

  open(url, alt, caption) {
    this.image.src = url;
    this.image.alt = alt;
    this.caption.textContent = caption;
    this.dialog.showModal();
  }

  /** Close it if it shows `url` (its post was removed). */
  closeIf(url) {
    if (this.dialog.open && this.image.src === url) this.dialog.close();
  }

  /** Open a post's image at full size when it is clicked in `feed` (a plain click: a modified one
   * keeps the browser's own meaning); `onImageLoad` runs when any image in it loads. */
  followClicksIn(feed, onImageLoad) {
    feed.addEventListener("click", (event) => {
      const link = event.target.closest?.(".post-image-link");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      const post = link.closest(".post");
      const author = post?.querySelector(".post-author")?.textContent ?? "";
      const content = post?.querySelector(".post-content")?.textContent ?? "";
      this.open(link.href, link.querySelector("img")?.alt ?? "", content ? `${author}: ${content}` : author);
    });
    feed.addEventListener(
      "load",
      (event) => {
        if (event.target instanceof HTMLImageElement) onImageLoad();
      },
      true,
    );
  }
}
