/**
 * `mm export`: every analysis of the space as NDJSON, one per line with everything it has (tags, the embedding's
 * model and vector, version, timestamps), oldest first. Pages are fetched one ahead of writing and written with
 * the stream's backpressure, so memory stays flat whatever the number of rows.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import type { Writable } from "node:stream";
import type { MemoryMirrorClient, RouterOutputs } from "@memory-mirror/client";
import type { GlobalOptions } from "../commands.ts";
import { CliError, ExitCode } from "../errors.ts";
import { type FilterOptions, filterInput } from "../options.ts";
import { printMessage } from "../output.ts";
import { createProgress, duration } from "./progress.ts";

type Page = RouterOutputs["videoAnalysis"]["export"];

export interface ExportOptions extends GlobalOptions, FilterOptions {
  tags?: string[];
  since?: string;
  output?: string;
  progressEvery: number;
}

export async function exportAnalyses(client: MemoryMirrorClient, opts: ExportOptions): Promise<void> {
  const started = performance.now();
  // A file is written beside its final name and renamed at the end: an interrupted export never looks complete.
  const partial = opts.output ? `${opts.output}.partial` : undefined;
  const out: Writable = partial ? createWriteStream(partial) : process.stdout;
  // A directory that does not exist (or a path that is one) is the user's to fix, before anything is fetched.
  if (partial) {
    await once(out, "open").catch((error: Error) => {
      throw new CliError(`cannot write ${partial}: ${error.message}`, ExitCode.usage);
    });
  }
  const progress = createProgress({ label: "export", every: opts.progressEvery });
  const fetchPage = (cursor: string | null) =>
    client.videoAnalysis.export.query({
      cursor,
      ...(opts.tags ? { tags: opts.tags } : {}),
      ...(opts.since ? { since: opts.since } : {}),
      ...filterInput(opts),
    });

  let rows = 0;
  try {
    let next: Promise<Page> | null = fetchPage(null);
    while (next) {
      const page: Page = await next;
      next = page.nextCursor ? fetchPage(page.nextCursor) : null;
      // Never left unobserved: a failure surfaces when it is awaited, not as an unhandled rejection meanwhile.
      next?.catch(() => {});
      if (page.total !== null) progress.setTotal(page.total);
      let chunk = "";
      for (const item of page.items) chunk += `${JSON.stringify(item)}\n`;
      if (!out.write(chunk)) await once(out, "drain");
      rows += page.items.length;
      progress.update(rows);
    }
    if (partial && opts.output) {
      out.end();
      await once(out, "finish");
      await rename(partial, opts.output);
    }
  } finally {
    progress.stop();
    if (partial && !out.writableFinished) out.destroy();
  }
  const ms = performance.now() - started;
  printMessage(
    `mm export: ${rows} analyses in ${duration(ms)} (${Math.round(rows / Math.max(ms / 1000, 0.001))} rows/s)${opts.output ? ` to ${opts.output}` : ""}`,
  );
}
