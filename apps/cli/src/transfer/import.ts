/**
 * `mm import`: NDJSON back into a space through upsertMany, a batch at a time, streamed (constant memory at any
 * size). Idempotent, hence resumable: running an interrupted import again finds what it already stored unchanged
 * and stores the rest. Lines carrying id, version and timestamps (an export) restore them exactly, which needs an
 * admin key; --content-only drops them and writes the content as new versions with any write key.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import pRetry from "p-retry";
import { upsertManyItem } from "@memory-mirror/api/schemas";
import { errorCode, type MemoryMirrorClient, type RouterInputs, TRPCClientError } from "@memory-mirror/client";
import type { GlobalOptions } from "../commands.ts";
import { CliError, ExitCode, isTransient } from "../errors.ts";
import { printJson, printMessage } from "../output.ts";
import { createProgress, duration } from "./progress.ts";

type Item = RouterInputs["videoAnalysis"]["upsertMany"]["items"][number];

export interface ImportOptions extends GlobalOptions {
  batch: number;
  /** Most bytes of items per call: under the server's MAX_BODY_BYTES (1 MiB by default); a 413 halves a batch. */
  batchBytes: number;
  /** Calls in flight at once (1 with --strict, so nothing after a failed line is stored). */
  parallel: number;
  strict?: boolean;
  contentOnly?: boolean;
  progressEvery: number;
}

/** A line longer than this is reported and skipped instead of held in memory (an analysis is well under 1 MB). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Failures kept for --json; every one is printed on stderr as it happens. */
const MAX_REPORTED = 1000;

interface Entry {
  line: number;
  item: Item;
}

interface Summary {
  lines: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  seconds: number;
  failures: { line: number; reason: string }[];
}

/** Thrown with --strict at the first failed line, after what came before it is stored. */
class Stop extends Error {}

/** Lines of a byte stream with their sizes, holding at most one line (up to MAX_LINE_BYTES) in memory. */
async function* lines(input: Readable): AsyncGenerator<{ text: string | null; bytes: number }> {
  input.setEncoding("utf8");
  let pending = "";
  let overflow = false;
  for await (const chunk of input as AsyncIterable<string>) {
    let start = 0;
    for (let end = chunk.indexOf("\n"); end !== -1; end = chunk.indexOf("\n", start)) {
      const piece = chunk.slice(start, end);
      const text = overflow ? null : pending + piece;
      yield { text, bytes: Buffer.byteLength(pending) + Buffer.byteLength(piece) + 1 };
      pending = "";
      overflow = false;
      start = end + 1;
    }
    if (!overflow) pending += chunk.slice(start);
    if (pending.length > MAX_LINE_BYTES) {
      overflow = true;
      pending = "";
    }
  }
  if (pending !== "" || overflow) yield { text: overflow ? null : pending, bytes: Buffer.byteLength(pending) };
}

/** "items.3.description: …" → 3: which item of the batch the server refused. */
function refusedItem(error: unknown): { index: number; reason: string } | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const issues = (error.data as { issues?: { path: string; message: string }[] | null } | undefined)?.issues ?? [];
  for (const issue of issues) {
    const match = /^items\.(\d+)(?:\.(.+))?$/.exec(issue.path);
    if (match)
      return {
        index: Number(match[1]),
        reason: issue.message.includes(issue.path) ? issue.message : `${match[2] ?? "item"}: ${issue.message}`,
      };
  }
  return undefined;
}

async function readableFileSize(file: string): Promise<number> {
  const info = await stat(file).catch((error: Error) => {
    throw new CliError(`cannot read ${file}: ${error.message}`, ExitCode.usage);
  });
  if (!info.isFile()) throw new CliError(`cannot read ${file}: not a file`, ExitCode.usage);
  return info.size;
}

export async function importAnalyses(client: MemoryMirrorClient, file: string, opts: ImportOptions): Promise<void> {
  const started = performance.now();
  // A missing file or a directory is the user's to fix: said before any stream exists to fail unobserved.
  const size = file === "-" ? undefined : await readableFileSize(file);
  const input = file === "-" ? process.stdin : createReadStream(file);
  const progress = createProgress({ label: "import", every: opts.progressEvery });
  if (size !== undefined) progress.setTotal(size);
  const summary: Summary = { lines: 0, created: 0, updated: 0, unchanged: 0, failed: 0, seconds: 0, failures: [] };
  let position = 0;

  const fail = (line: number, reason: string) => {
    summary.failed++;
    if (summary.failures.length < MAX_REPORTED) summary.failures.push({ line, reason });
    printMessage(`mm import: line ${line}: ${reason}`);
    if (opts.strict) throw new Stop(`stopped at line ${line} (--strict)`);
  };

  /** Sends one batch; halves it on 413, and drops (reporting) an item the server refuses, then sends the rest. */
  const send = async (entries: Entry[]): Promise<void> => {
    if (entries.length === 0) return;
    try {
      // upsertMany is idempotent, so a batch whose answer was lost (a reset connection, a 503) is simply sent again.
      const items = entries.map((e) => e.item);
      const result = await pRetry(() => client.videoAnalysis.upsertMany.mutate({ items }), {
        retries: 3,
        minTimeout: 500,
        shouldRetry: ({ error }) => isTransient(error),
      });
      summary.created += result.created;
      summary.updated += result.updated;
      summary.unchanged += result.unchanged;
    } catch (error) {
      const code = errorCode(error);
      if (code === "PAYLOAD_TOO_LARGE") {
        if (entries.length === 1) return fail(entries[0]!.line, "too large for the server's MAX_BODY_BYTES");
        const half = Math.ceil(entries.length / 2);
        await send(entries.slice(0, half));
        return send(entries.slice(half));
      }
      const refused = code === "BAD_REQUEST" ? refusedItem(error) : undefined;
      if (!refused || !entries[refused.index]) throw error;
      fail(entries[refused.index]!.line, refused.reason);
      return send(entries.filter((_, i) => i !== refused.index));
    }
  };

  // Batches in flight, each with its videoIds: a batch naming one of them waits for them all, so a later line for a
  // video always lands after an earlier one.
  const parallel = opts.strict ? 1 : opts.parallel;
  const running: { ids: Set<string>; done: Promise<void> }[] = [];
  let failure: { error: unknown } | undefined;
  const settle = async (which: "one" | "all") => {
    if (running.length > 0)
      await (which === "all" ? Promise.all(running.map((r) => r.done)) : Promise.race(running.map((r) => r.done)));
    if (failure) throw failure.error;
  };

  let batch: Entry[] = [];
  let batchBytes = 0;
  const videoIds = new Set<string>();
  const flush = async () => {
    const entries = batch;
    batch = [];
    batchBytes = 0;
    const ids = new Set(videoIds);
    videoIds.clear();
    if (running.some((r) => [...ids].some((id) => r.ids.has(id)))) await settle("all");
    while (running.length >= parallel) await settle("one");
    if (failure) throw failure.error;
    if (entries.length === 0) return;
    const at = position;
    const call = { ids, done: Promise.resolve() };
    call.done = send(entries)
      .then(() => progress.update(summary.created + summary.updated + summary.unchanged, at))
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => running.splice(running.indexOf(call), 1));
    running.push(call);
  };

  // Ctrl-C: what is stored stays stored; the same command finishes the job.
  const interrupted = () => {
    progress.stop();
    printMessage(
      `mm import: interrupted after line ${summary.lines}; run the same command again to finish (what is stored is kept: no duplicates)`,
    );
    process.exit(130);
  };
  process.once("SIGINT", interrupted);

  let stopped: string | undefined;
  try {
    let lineNo = 0;
    for await (const { text, bytes } of lines(input)) {
      lineNo++;
      position += bytes;
      if (text === null) {
        summary.lines++;
        fail(lineNo, `longer than ${MAX_LINE_BYTES} bytes`);
        continue;
      }
      if (text.trim() === "") continue;
      summary.lines++;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        fail(lineNo, `not JSON (${(error as Error).message})`);
        continue;
      }
      if (opts.contentOnly && value !== null && typeof value === "object" && !Array.isArray(value)) {
        const { id: _i, version: _v, createdAt: _c, updatedAt: _u, ...content } = value as Record<string, unknown>;
        value = content;
      }
      const parsed = upsertManyItem.safeParse(value);
      if (!parsed.success) {
        fail(
          lineNo,
          parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "),
        );
        continue;
      }
      const item = parsed.data;
      const size = Buffer.byteLength(text);
      // A videoId twice in one call is refused, and the later line must win: the earlier one goes first.
      if (videoIds.has(item.videoId) || (batch.length > 0 && batchBytes + size > opts.batchBytes)) await flush();
      batch.push({ line: lineNo, item });
      batchBytes += size;
      videoIds.add(item.videoId);
      if (batch.length >= opts.batch) await flush();
    }
    await flush();
    await settle("all");
  } catch (error) {
    if (!(error instanceof Stop)) {
      throw error;
    }
    stopped = error.message;
    // What came before the failed line is stored, as --strict promises.
    await flush()
      .then(() => settle("all"))
      .catch(() => {});
  } finally {
    process.removeListener("SIGINT", interrupted);
    progress.stop();
  }

  summary.seconds = +((performance.now() - started) / 1000).toFixed(3);
  const rate = Math.round(summary.lines / Math.max(summary.seconds, 0.001));
  printMessage(
    `mm import: ${summary.lines} lines: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ` +
      `${summary.failed} failed in ${duration(summary.seconds * 1000)} (${rate} lines/s)${stopped ? `; ${stopped}` : ""}`,
  );
  if (opts.json) printJson(summary);
  if (summary.failed > 0)
    throw new CliError(
      `${summary.failed} line${summary.failed === 1 ? "" : "s"} failed (reported above)`,
      ExitCode.usage,
    );
}
