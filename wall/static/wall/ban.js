// The banner a banned reader sees: one, with the reason and when the ban ends.

/** Show `ban` ({reason, until}) in the banner, or hide it for null. */
export function renderBan({ box, text }, ban) {
  box.hidden = !ban;
  if (!ban) return;
  const end = ban.until ? `until ${new Date(ban.until).toLocaleString()}` : "for good";
  text.textContent = `A moderator banned you from posting ${end}${ban.reason ? `. Reason: ${ban.reason}` : ""}.`;
}

/** The composer's line for a banned reader. */
export function banHint(ban) {
  if (!ban?.until) return "You are banned from posting.";
  return `You are banned from posting until ${new Date(ban.until).toLocaleString()}.`;
}
