/**
 * The header every answer written for a model puts above a memory (context text, MCP's search blocks), so a model
 * reads one format whichever call it made, and the memory's text under it, unable to pass for a header.
 */

/** One line, whatever a value holds: a header must never be broken by an id's or a tag's own line breaks. */
const oneLine = (text: string) => (plainLine(text) ? text : text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, " "));

/**
 * True when oneLine's replace would leave `text` as it is: printable ASCII without two spaces in a row (a lone space
 * is replaced by itself). A context writes two per memory, and its ids and tags nearly always are: the Unicode
 * regex's scan and copy were a visible share of its header's cost (docs/performance.md).
 */
function plainLine(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || (code === 0x20 && text.charCodeAt(i + 1) === 0x20)) return false;
  }
  return true;
}

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
  // Most hold no `#` at all: no regex scan and copy then.
  return description.includes("#") ? description.replace(/^#/gm, "\\#") : description;
}
