/** `mm watch`: the space's changes as they happen, through the typed client's `videoAnalysis.onChange`. */
import type { ChangeEvent, MemoryMirrorClient } from "@memory-mirror/client";
import type { GlobalOptions } from "./commands.ts";
import { excerpt, printLine, printMessage } from "./output.ts";

export interface WatchOptions extends GlobalOptions {
  tags?: string[];
  videoId?: string[];
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
 * Runs until Ctrl-C or SIGTERM (then resolves: exit 0) or a failure the client will not retry (then rejects). A
 * dropped connection is retried by the client itself, with the last event id, so nothing is missed or repeated.
 */
export function watch(client: MemoryMirrorClient, opts: WatchOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let reconnecting = false;
    const subscription = client.videoAnalysis.onChange.subscribe(
      {
        ...(opts.tags?.length ? { tags: opts.tags } : {}),
        ...(opts.videoId?.length ? { videoIds: opts.videoId } : {}),
      },
      {
        onData: ({ id, data }) => show(id, data, opts),
        onConnectionStateChange: (state) => {
          if (state.state === "connecting" && state.error && !reconnecting) {
            reconnecting = true;
            printMessage(`mm: connection lost (${state.error.message}); reconnecting…`);
          } else if (state.state === "pending" && reconnecting) {
            reconnecting = false;
            printMessage("mm: reconnected; resuming after the last change received");
          }
        },
        onError: (error) => {
          stop();
          reject(error);
        },
      },
    );
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      subscription.unsubscribe();
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
