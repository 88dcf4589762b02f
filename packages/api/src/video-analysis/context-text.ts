/** Writing memories as one block of text for a prompt, within a character budget. */
import { memoryHeader, memoryText } from "./memory-header.ts";
import type { ContextOutput } from "./search-schemas.ts";

const BLOCK_SEPARATOR = "\n\n";
const ELLIPSIS = "…";
/** A description cut shorter than this says too little to be worth its header. */
const MIN_CUT_CHARS = 40;

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

/** What a context's block shows of a memory, besides its videoId. */
export interface Shown {
  /** As answered (recordedAtText): in the offset it was recorded in. */
  recordedAt: string | null;
  /** A Date, or toISOString's text (context-rows.ts reads it with isoText: no Date per memory); the header reads its day. */
  createdAt: Date | string;
  tags: string[];
  description: string;
}

export interface ContextItem {
  videoId: string;
  score: number | null;
  /**
   * What its block shows, asked for only when the block is reached: a context's budget writes about 30 of its 50
   * memories, and reading the rest (context-rows.ts' unpack) was work for nothing.
   */
  shown: () => Shown;
}

/** What a context is made of: the memories worth including, best first, and what else was looked at. */
export interface ContextPlan {
  items: ContextItem[];
  /** Memories looked at (found by the search, or named by videoId), items included. */
  considered: number;
  /** Why a memory considered but not among items was left out, e.g. "as weaker matches". */
  leftOutAs: string;
}

/**
 * The closing line: how many memories were considered and why some were left out, so that a model reading the text
 * knows an absent memory was looked at, and that an empty context means nothing answers.
 */
export function contextNote(included: number, considered: number, leftOut: [count: number, as: string][]): string {
  if (considered === 0) return "(No memory matches this.)";
  const reasons = leftOut.filter(([count]) => count > 0).map(([count, as]) => `; ${count} left out ${as}`);
  const lead = included === 0 ? "No memory answers this well enough: " : "";
  const memories = considered === 1 ? "memory" : "memories";
  return `(${lead}${included} of ${considered} ${memories} considered included${reasons.join("")}.)`;
}

/**
 * The length of the longest of `note(0)` … `note(count)`, writing only the notes that can be longest: as `included`
 * grows the note loses its lead after 0, its "left out for lack of room" count only shrinks, and its own count gains a
 * digit at 1, 10, 100…; so each run of counts of one width is longest at its start. A context wrote every note before
 * (51 for the default's 50 hits, about 2% of a context's CPU: docs/performance.md); search.test.ts checks this against
 * all of them.
 */
export function longestNote(count: number, note: (included: number) => string): number {
  // Only for notes shaped like contextNote's (the reasoning above); another note would need every count written.
  let longest = 0;
  for (let included = 0; included <= count; included = included < 1 ? 1 : included * 10)
    longest = Math.max(longest, note(included).length);
  return longest;
}

/**
 * Memories as one block of text for a prompt, best first, then the closing note, never longer than maxChars. A
 * memory that does not fit whole is cut at a word with an ellipsis (if at least MIN_CUT_CHARS of it fit) and ends
 * the blocks; a header is never written without its description.
 */
export function assembleContext({ items, considered, leftOutAs }: ContextPlan, maxChars: number): ContextOutput {
  const note = (included: number) =>
    contextNote(included, considered, [
      [considered - items.length, leftOutAs],
      [items.length - included, "for lack of room"],
    ]);
  // Room for the longest note this context can end with, whatever fits.
  const budget = maxChars - BLOCK_SEPARATOR.length - longestNote(items.length, note);
  let text = "";
  const sources: ContextOutput["sources"] = [];
  let truncated = false;
  for (const item of items) {
    const shown = item.shown();
    const separator = text === "" ? "" : BLOCK_SEPARATOR;
    const header = `${memoryHeader(item.videoId, shown.recordedAt, shown.createdAt, shown.tags)}\n`;
    const room = budget - text.length - separator.length - header.length;
    const whole = memoryText(shown.description);
    let body = whole;
    if (body.length > room) {
      truncated = true;
      body = room >= Math.min(MIN_CUT_CHARS, whole.length) ? cutAtWord(whole, room) : "";
      if (body === "") break;
    }
    text += separator + header + body;
    sources.push({ videoId: item.videoId, score: item.score, chars: header.length + body.length });
    if (truncated) break;
  }
  if (sources.length < items.length) truncated = true;
  text += (text === "" ? "" : BLOCK_SEPARATOR) + note(sources.length);
  return { text, sources, considered, truncated };
}
