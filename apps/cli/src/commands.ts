import type { MetadataValue } from "@memory-mirror/api/schemas";
import { type MemoryMirrorClient, type VideoAnalysis } from "@memory-mirror/client";
import { readDescription } from "./input.ts";
import { type FilterOptions, filterInput } from "./options.ts";
import { listLine, printJson, printLine, printMessage } from "./output.ts";

export interface GlobalOptions {
  url: string;
  /** Seconds to wait for each answer. */
  timeout: number;
  apiKey?: string;
  space?: string;
  json?: boolean;
}

/**
 * Creates the analysis, or replaces its description when the video already has one, in one idempotent call
 * (`upsert`): the server arbitrates races, and writing the same text again reports "unchanged".
 */
export interface PutOptions extends GlobalOptions {
  recordedAt?: string;
  meta?: Record<string, MetadataValue>;
}

export async function put(client: MemoryMirrorClient, videoId: string, descriptionArg: string, opts: PutOptions) {
  const description = await readDescription(descriptionArg);
  const { status, analysis } = await client.videoAnalysis.upsert.mutate({
    videoId,
    description,
    ...(opts.recordedAt !== undefined ? { recordedAt: opts.recordedAt } : {}),
    ...(opts.meta !== undefined ? { metadata: opts.meta } : {}),
  });
  if (opts.json) printJson({ action: status, analysis });
  else printLine(`${status} ${videoId}`);
}

export async function get(client: MemoryMirrorClient, videoId: string, opts: GlobalOptions) {
  const analysis = await client.videoAnalysis.byVideoId.query({ videoId });
  // Always one newline after the text, so `mm get x | mm put y -` copies it exactly.
  if (opts.json) printJson(analysis);
  else printLine(analysis.description);
}

export async function rm(client: MemoryMirrorClient, videoId: string, opts: GlobalOptions) {
  const analysis = await client.videoAnalysis.delete.mutate({ videoId });
  if (opts.json) printJson(analysis);
  else printLine(`deleted ${videoId}`);
}

export interface ListOptions extends GlobalOptions, FilterOptions {
  limit: number;
  all?: boolean;
  byRecorded?: boolean;
}

/** Newest first; `--all` follows nextCursor, fetching `limit` items per request. */
export async function ls(client: MemoryMirrorClient, opts: ListOptions) {
  const items: VideoAnalysis[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: VideoAnalysis[]; nextCursor: string | null } = await client.videoAnalysis.list.query({
      limit: opts.limit,
      cursor,
      ...filterInput(opts),
      ...(opts.byRecorded ? { orderBy: "recordedAt" as const } : {}),
    });
    // Print page by page so a long --all listing shows up (and can be piped to head) as it arrives.
    if (opts.json) items.push(...page.items);
    else for (const item of page.items) printLine(listLine(item));
    cursor = page.nextCursor;
  } while (opts.all && cursor);

  if (opts.json) printJson({ items, nextCursor: cursor });
  else if (cursor) printMessage("(more analyses exist: use --all or a higher --limit)");
}
