import type { VideoAnalysis } from "@memory-mirror/client";

/** Longest description excerpt on an `ls` line, so one entry stays one terminal line. */
const EXCERPT_LENGTH = 60;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Messages go to stderr so stdout holds only data a script may pipe on. */
export function printMessage(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** One `ls` line: tab-separated so `cut -f1` gives the videoIds. */
export function listLine(item: VideoAnalysis): string {
  return [item.videoId, item.updatedAt, excerpt(item.description)].join("\t");
}

export function excerpt(description: string): string {
  // Control characters (tabs included) would break the columns or the terminal.
  const first = (description.split(/\r?\n/, 1)[0] ?? "").replace(/[\p{Cc}]/gu, " ").trim();
  const chars = [...first]; // by code point, so an emoji is never cut in half
  return chars.length > EXCERPT_LENGTH ? `${chars.slice(0, EXCERPT_LENGTH - 1).join("")}…` : first;
}
