/** Writing memories as one block of text for a prompt, within a character budget. */
import type { ContextOutput } from "./search-schemas.ts";

const BLOCK_SEPARATOR = "\n\n";
const ELLIPSIS = "…";
/** A description cut shorter than this says too little to be worth its header. */
const MIN_CUT_CHARS = 40;

/** One line, whatever the videoId holds: a header must never be broken by the id's own line breaks. */
export function contextHeader(videoId: string, createdAt: Date): string {
  return `## ${videoId.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, " ")} (${createdAt.toISOString().slice(0, 10)})`;
}

/** `text` cut to at most `max` UTF-16 units at a word boundary (never inside a surrogate pair), plus an ellipsis. */
export function cutAtWord(text: string, max: number): string {
  let end = max - ELLIPSIS.length;
  if (end <= 0) return "";
  // Never split a surrogate pair.
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  const head = text.slice(0, end);
  const space = head.search(/\s\S*$/u);
  // A single word longer than the room: cut inside it rather than drop everything.
  const cut = space > end / 2 ? head.slice(0, space) : head;
  return `${cut.replace(/[\s\p{P}]+$/u, "")}${ELLIPSIS}`;
}

export interface ContextItem {
  videoId: string;
  createdAt: Date;
  description: string;
  score: number | null;
}

/**
 * Memories as one block of text for a prompt, best first, never longer than maxChars. A memory that does not fit
 * whole is cut at a word with an ellipsis (if at least MIN_CUT_CHARS of it fit) and ends the text; a header is
 * never written without its description.
 */
export function assembleContext(items: ContextItem[], maxChars: number): ContextOutput {
  let text = "";
  const sources: ContextOutput["sources"] = [];
  let truncated = false;
  for (const item of items) {
    const separator = text === "" ? "" : BLOCK_SEPARATOR;
    const header = `${contextHeader(item.videoId, item.createdAt)}\n`;
    const room = maxChars - text.length - separator.length - header.length;
    let body = item.description;
    if (body.length > room) {
      truncated = true;
      body = room >= Math.min(MIN_CUT_CHARS, item.description.length) ? cutAtWord(item.description, room) : "";
      if (body === "") break;
    }
    text += separator + header + body;
    sources.push({ videoId: item.videoId, score: item.score, chars: header.length + body.length });
    if (truncated) break;
  }
  if (sources.length < items.length) truncated = true;
  return { text, sources, truncated };
}
