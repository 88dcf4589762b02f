/** A subscriber to videoAnalysis.onChange for tests: collects events, waits for a number of them. */
import type { ChangeEvent, MemoryMirrorClient, RouterInputs } from "@memory-mirror/client";

export interface Collected {
  id: string;
  data: ChangeEvent;
}

export interface Collector {
  /** Every change event so far ("ready" left out). */
  events: Collected[];
  /** The id of the "ready" event (when started without lastEventId). */
  readyId: string | undefined;
  /** Resolves with the events once there are at least `n`. */
  until(n: number): Promise<Collected[]>;
  stop(): void;
}

/**
 * Subscribes and resolves once the stream is in place: after its "ready" event (from now on), or after the
 * connection opened (resuming: the backlog comes from the log, so nothing can be missed).
 */
export function collectChanges(
  client: MemoryMirrorClient,
  input: RouterInputs["videoAnalysis"]["onChange"],
): Promise<Collector> {
  return new Promise((resolve, reject) => {
    const events: Collected[] = [];
    const waiters: { n: number; resolve: (events: Collected[]) => void }[] = [];
    let failure: unknown;
    const collector: Collector = {
      events,
      readyId: undefined,
      until: (n) =>
        new Promise((done, fail) => {
          if (failure) return fail(failure instanceof Error ? failure : new Error("the subscription failed"));
          if (events.length >= n) return done(events.slice(0, n));
          waiters.push({ n, resolve: done });
        }),
      stop: () => subscription.unsubscribe(),
    };
    const resuming = !!input?.lastEventId;
    const subscription = client.videoAnalysis.onChange.subscribe(input, {
      onStarted: () => {
        if (resuming) resolve(collector);
      },
      onData: ({ id, data }) => {
        if (data.type === "ready") {
          collector.readyId = id;
          resolve(collector);
          return;
        }
        events.push({ id, data });
        for (const waiter of waiters.filter((w) => events.length >= w.n)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(events.slice(0, waiter.n));
        }
      },
      onError: (error) => {
        failure = error;
        reject(error);
      },
    });
  });
}
