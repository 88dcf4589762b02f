/** `mm watch`: the space's changes as they happen, through the typed client's `videoAnalysis.onChange`. */
import type { ChangeEvent, MemoryMirrorClient } from "@memory-mirror/client";
import type { GlobalOptions } from "./commands.ts";
import { CliError, ExitCode } from "./errors.ts";
import { excerpt, printLine, printMessage } from "./output.ts";

export interface WatchOptions extends GlobalOptions {
  tags?: string[];
  videoId?: string[];
  /** Stop (exit 0) after this many changes: a script waiting for the next change to a video. */
  limit?: number;
}

/** `--tags a,b` (repeatable): every tag the analyses must carry. */
export function tagList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  ];
}

export function videoIdList(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Runs until Ctrl-C or SIGTERM, or `limit` changes (then resolves: exit 0), or a failure the client will not retry
 * (then rejects). A dropped connection is retried by the client itself, with the last event id, so nothing is missed
 * or repeated.
 */
export function watch(client: MemoryMirrorClient, opts: WatchOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let connected = false;
    let ended = false;
    let reconnecting = false;
    let changes = 0;
    const subscription = client.videoAnalysis.onChange.subscribe(
      {
        ...(opts.tags?.length ? { tags: opts.tags } : {}),
        ...(opts.videoId?.length ? { videoIds: opts.videoId } : {}),
      },
      {
        onData: ({ id, data }) => {
          if (ended) return;
          show(id, data, opts);
          if (data.type === "ready" || data.type === "resync") return;
          if (opts.limit !== undefined && ++changes >= opts.limit) stop();
        },
        onConnectionStateChange: (state) => {
          if (state.state === "pending") connected = true;
          if (state.state === "connecting" && state.error && !connected) {
            // Never connected: a wrong URL or a server that is down; retrying forever would look like a quiet stream.
            end();
            reject(
              new CliError(
                `cannot reach Memory Mirror at ${opts.url} (is the server running?): ${state.error.message}`,
                ExitCode.unreachable,
              ),
            );
          } else if (state.state === "connecting" && state.error && !reconnecting) {
            reconnecting = true;
            printMessage(`mm: connection lost (${state.error.message}); reconnecting…`);
          } else if (state.state === "pending" && reconnecting) {
            reconnecting = false;
            printMessage("mm: reconnected; resuming after the last change received");
          }
        },
        // The stream ended for good without our asking: say so rather than exit 0 in silence.
        onComplete: () => {
          if (ended) return; // our own unsubscribe
          end();
          reject(
            new CliError(
              connected
                ? `the change stream from ${opts.url} ended; run mm watch again to follow it`
                : `cannot reach Memory Mirror at ${opts.url} (is the server running? pnpm start)`,
              connected ? ExitCode.error : ExitCode.unreachable,
            ),
          );
        },
        onError: (error) => {
          end();
          reject(refusal(error, opts.url) ?? error);
        },
      },
    );
    const end = () => {
      ended = true;
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      subscription.unsubscribe();
    };
    const stop = () => {
      end();
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function show(id: string, event: ChangeEvent, opts: WatchOptions): void {
  if (event.type === "ready") {
    printMessage("mm: watching for changes (Ctrl-C to stop)");
    return;
  }
  if (event.type === "resync") {
    printMessage(`mm: resync needed: ${event.reason} (read the current state again: mm ls --all, mm export)`);
    if (opts.json) printLine(JSON.stringify({ id, ...event }));
    return;
  }
  if (opts.json) printLine(JSON.stringify({ id, ...event }));
  else {
    const text = event.type === "deleted" ? "" : excerpt(event.analysis?.description ?? "");
    printLine([event.at, event.type, event.videoId, `v${event.version}`, text].join("\t"));
  }
}

/**
 * A stream refused before it opened reaches the client as the EventSource's "Non-200 status code (401)", without the
 * server's tRPC error: turn the statuses a user can act on into the CLI's usual messages and exit codes.
 */
function refusal(error: Error, url: string): CliError | undefined {
  const status = /Non-200 status code \((\d{3})\)/.exec(error.message)?.[1];
  if (status === "401")
    return new CliError(`no valid API key for ${url} (set MM_API_KEY or --api-key)`, ExitCode.notAllowed);
  if (status === "403")
    return new CliError(`this key may not read changes at ${url} (needs the read scope)`, ExitCode.notAllowed);
  if (status === "429") return new CliError(`too many open streams at ${url}; try again later`, ExitCode.error);
  return undefined;
}
