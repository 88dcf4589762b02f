/**
 * The process's fan-out of changes to its subscribers. One listener per process (NOTIFY through one connection, or
 * the embedded database in process) says "something changed"; the feed then reads the log once for every space
 * that has subscribers (one query for all of them) and hands each change to the matching subscribers. A subscriber
 * that resumes reads its backlog from the log itself, then continues with the shared reads: every change once, in
 * order. After the listener reconnects, the feed reads what it missed from the log the same way.
 */
import type { Listener, ListenHandlers, PrismaClient } from "@memory-mirror/db";
import { type Change, type ChangeFilter, headOf, matches, prunedThrough, readChanges } from "./log.ts";

/** The channel the change-log triggers notify. */
export const CHANGES_CHANNEL = "mm_changes";

/** Changes read per space per query. */
const READ_BATCH = 500;

export interface ChangeFeedOptions {
  prisma: PrismaClient;
  /** Starts listening on the channel (Database.listen). */
  listen(channel: string, handlers: ListenHandlers): Listener;
  /** Changes queued for one subscriber beyond which it is cut (a slow consumer); it resumes from its last id. */
  maxQueued?: number;
  /** Each change read by the shared reads, with how long after it was recorded (metrics). */
  onRead?(lagMs: number): void;
  /** Each item a stream yields (metrics). */
  onSent?(): void;
  /** A stream cut, when it is cut (its queued changes are dropped then; metrics). */
  onCut?(reason: StreamEndedError["reason"]): void;
  /** The listener's connection failed (logs). */
  onListenError?(error: unknown): void;
}

/** Why a stream ended early; the client resumes from the last id it received. */
export class StreamEndedError extends Error {
  // tRPC ends a subscription that throws an AbortError without its "return" event, so clients reconnect and resume.
  override name = "AbortError";
  constructor(readonly reason: "slow_consumer" | "shutdown") {
    super(reason === "slow_consumer" ? "The client read too slowly; resume from its last event id" : "Server stopping");
  }
}

interface Subscriber {
  filter: ChangeFilter;
  queue: Change[];
  wake: (() => void) | undefined;
  ended: StreamEndedError | undefined;
}

interface SpaceState {
  /** The newest change of the space handed to subscribers (or known when the first one came). */
  cursor: bigint;
  ready: Promise<void>;
  isReady: boolean;
  subscribers: Set<Subscriber>;
}

export interface StreamOptions extends ChangeFilter {
  /** Resume after this change id; undefined: from now on. */
  after?: bigint | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * What a stream yields: a change; first, when it starts from now, where it starts ("ready"); or, when it resumes
 * from an id older than the log keeps, the notice that the changes after that id were pruned ("resync").
 */
export type StreamItem = { kind: "change"; change: Change } | { kind: "ready" | "resync"; id: bigint; at: Date };

export class ChangeFeed {
  readonly #options: ChangeFeedOptions;
  readonly #spaces = new Map<string, SpaceState>();
  #listener: Listener | undefined;
  #pumping = false;
  #again = false;
  #closed = false;

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
  }

  /** Open streams in this process. */
  get streams(): number {
    let n = 0;
    for (const state of this.#spaces.values()) n += state.subscribers.size;
    return n;
  }

  /**
   * The changes of `space` matching the filter, as they commit (after `after` first, from the log). Ends by
   * throwing StreamEndedError when cut (slow consumer, shutdown), or by returning when `signal` aborts.
   */
  async *stream(space: string, options: StreamOptions = {}): AsyncGenerator<StreamItem, void, undefined> {
    if (this.#closed) throw new StreamEndedError("shutdown");
    this.#start();
    const { signal } = options;
    const subscriber: Subscriber = { filter: options, queue: [], wake: undefined, ended: undefined };
    const state = this.#join(space, subscriber);
    const onAbort = () => subscriber.wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      await state.ready;
      // Changes after `head` reach the queue from now on; those up to it come from the log.
      const head = state.cursor;
      let position = options.after ?? head;
      if (options.after === undefined) {
        // The stream's starting point, as an id: a client that loses the connection before any change resumes
        // from here, and misses nothing that happened meanwhile.
        yield { kind: "ready", id: head, at: new Date() };
      } else {
        const pruned = await prunedThrough(this.#options.prisma);
        if (position < pruned) {
          position = pruned;
          this.#options.onSent?.();
          yield { kind: "resync", id: pruned, at: new Date() };
        }
      }
      while (position < head && !signal?.aborted) {
        const backlog = await readChanges(
          this.#options.prisma,
          [{ space, after: position, through: head }],
          READ_BATCH,
        );
        if (backlog.length === 0) break;
        for (const change of backlog) {
          position = change.id;
          if (!matches(change, options)) continue;
          this.#options.onSent?.();
          yield { kind: "change", change };
        }
      }
      for (;;) {
        if (subscriber.ended) throw subscriber.ended;
        if (signal?.aborted) return;
        const change = subscriber.queue.shift();
        if (!change) {
          await new Promise<void>((resolve) => (subscriber.wake = resolve));
          subscriber.wake = undefined;
          continue;
        }
        if (change.id <= position) continue;
        position = change.id;
        this.#options.onSent?.();
        yield { kind: "change", change };
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      state.subscribers.delete(subscriber);
      if (state.subscribers.size === 0 && this.#spaces.get(space) === state) this.#spaces.delete(space);
    }
  }

  /** Ends every stream (they throw StreamEndedError("shutdown"), so clients resume elsewhere) and stops listening. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const state of this.#spaces.values())
      for (const subscriber of state.subscribers) this.#end(subscriber, "shutdown");
    await this.#listener?.close();
    this.#listener = undefined;
  }

  #start(): void {
    this.#listener ??= this.#options.listen(CHANGES_CHANNEL, {
      notify: () => this.#pump(),
      connected: () => this.#pump(),
      disconnected: (error) => this.#options.onListenError?.(error),
    });
  }

  #join(space: string, subscriber: Subscriber): SpaceState {
    let state = this.#spaces.get(space);
    if (!state) {
      const created: SpaceState = { cursor: 0n, ready: Promise.resolve(), isReady: false, subscribers: new Set() };
      created.ready = headOf(this.#options.prisma, space).then(
        (head) => {
          created.cursor = head;
          created.isReady = true;
          // A change may have committed while the head was read, and its notification found the space not ready.
          this.#pump();
        },
        (error: unknown) => {
          if (this.#spaces.get(space) === created) this.#spaces.delete(space);
          throw error;
        },
      );
      state = created;
      this.#spaces.set(space, state);
    }
    state.subscribers.add(subscriber);
    return state;
  }

  #end(subscriber: Subscriber, reason: StreamEndedError["reason"]): void {
    if (subscriber.ended) return;
    subscriber.ended = new StreamEndedError(reason);
    this.#options.onCut?.(reason);
    subscriber.queue.length = 0;
    subscriber.wake?.();
  }

  /** Reads what is new for every space with subscribers; runs once at a time, and again if asked meanwhile. */
  #pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void (async () => {
      try {
        do {
          this.#again = false;
          await this.#readAll();
        } while (this.#again && !this.#closed);
      } catch (error) {
        this.#options.onListenError?.(error);
        // Try again shortly: the next notification or this retry catches up from the log.
        setTimeout(() => this.#pump(), 500).unref();
      } finally {
        this.#pumping = false;
      }
    })();
  }

  async #readAll(): Promise<void> {
    for (;;) {
      const ready = [...this.#spaces].filter(([, state]) => state.isReady);
      if (ready.length === 0) return;
      const changes = await readChanges(
        this.#options.prisma,
        ready.map(([space, state]) => ({ space, after: state.cursor })),
        READ_BATCH,
      );
      const now = Date.now();
      const perSpace = new Map<string, number>();
      for (const change of changes) {
        perSpace.set(change.space, (perSpace.get(change.space) ?? 0) + 1);
        this.#options.onRead?.(now - change.at.getTime());
        const state = this.#spaces.get(change.space);
        if (!state || change.id <= state.cursor) continue;
        state.cursor = change.id;
        for (const subscriber of state.subscribers) {
          if (subscriber.ended || !matches(change, subscriber.filter)) continue;
          subscriber.queue.push(change);
          if (subscriber.queue.length > (this.#options.maxQueued ?? 1000)) this.#end(subscriber, "slow_consumer");
          else subscriber.wake?.();
        }
      }
      // A space that filled its batch has more to read.
      if (![...perSpace.values()].some((n) => n >= READ_BATCH)) return;
    }
  }
}
