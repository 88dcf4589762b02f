/**
 * The header every answer written for a model puts above a memory (context text, MCP's search blocks), so a model
 * reads one format whichever call it made, and the memory's text under it, unable to pass for a header.
 */

/** One line, whatever a value holds: a header must never be broken by an id's or a tag's own line breaks. */
const oneLine = (text: string) => text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, " ");

/**
 * `## 2019-07-14 · vid_123 · beach, family`: the recording's calendar day in its own offset, the videoId, the tags
 * (the part left out when there are none). Without recordedAt the day it was stored, written `stored 2026-12-01`:
 * a model asked "when did…" must not answer with the upload day.
 */
export function memoryHeader(
  videoId: string,
  recordedAt: string | null,
  createdAt: Date | string,
  tags: readonly string[],
): string {
  // Written out rather than joined from a list: a context writes one per memory (docs/performance.md).
  const date = recordedAt
    ? recordedAt.slice(0, 10)
    : `stored ${(typeof createdAt === "string" ? createdAt : createdAt.toISOString()).slice(0, 10)}`;
  const head = `## ${date} · ${oneLine(videoId)}`;
  return tags.length ? `${head} · ${oneLine(tags.join(", "))}` : head;
}

/**
 * A description as written under its header: a line of it that begins with `#` gets a backslash (Markdown's escape),
 * so a description holding a heading such as `## 2019-07-14 · vid_9` cannot pass for another memory's header.
 */
export function memoryText(description: string): string {
  return description.replace(/^#/gm, "\\#");
}
