/**
 * Each caller's share of the database: how many calls one key (one space with AUTH=off) may run at once in this
 * process. Without it, one caller's slow calls (long searches, writes waiting on a lock) take every pooled connection
 * and every other caller waits for the pool, whatever its space. Calls beyond the share wait in line for up to
 * KEY_QUEUE_MS, then are refused (429) so the caller backs off instead of piling up.
 */

/** Gives back what an admitted call took; calling it again does nothing. */
export type Release = () => void;

/**
 * How often a line looks for callers that hung up while waiting. An abort listener per waiter cost ≈ 5 µs (add and
 * remove on Node's EventTarget) on every call that waits, most of them at 64 connections: docs/performance.md, "Under
 * 64 connections". A caller that left is never admitted (its signal is read at its turn), it only leaves the line
 * up to this much later.
 */
export const HANG_UP_CHECK_MS = 50;

interface Waiter {
  weight: number;
  /** performance.now() past which it is refused: waiters join in order with one queueMs, so the head's is first. */
  deadline: number;
  hangUp: AbortSignal | undefined;
  resolve: (release: Release | undefined) => void;
}

interface Holder {
  running: number;
  queue: Waiter[];
  /** One timer for the whole line (deadlines and hang-ups), armed while anyone waits. */
  timer: NodeJS.Timeout | undefined;
}

export class ConcurrencyShares {
  private readonly holders = new Map<string, Holder>();

  constructor(
    /** Calls one caller may run at once (KEY_CONCURRENCY). */
    readonly share: number,
    /** How long a call beyond the share waits for a slot (KEY_QUEUE_MS). */
    readonly queueMs: number,
  ) {}

  /**
   * Takes `calls` slots for `who` (a batch takes one per call, at most the whole share), waiting in line for up to
   * queueMs. Resolves to the release, or to undefined when no slot freed in time or the caller hung up meanwhile
   * (`signal`, asked for only when the call has to wait: reading a request's signal has a cost on the hot path).
   */
  acquire(who: string, calls: number, signal?: () => AbortSignal): Promise<Release | undefined> {
    const weight = Math.min(Math.max(1, calls), this.share);
    const holder = this.holders.get(who) ?? { running: 0, queue: [], timer: undefined };
    this.holders.set(who, holder);
    if (holder.queue.length === 0 && holder.running + weight <= this.share) {
      holder.running += weight;
      return Promise.resolve(this.releaser(who, holder, weight));
    }
    if (this.queueMs === 0) {
      this.forget(who, holder);
      return Promise.resolve(undefined);
    }
    const hangUp = signal?.();
    if (hangUp?.aborted) {
      this.forget(who, holder);
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      holder.queue.push({ weight, deadline: performance.now() + this.queueMs, hangUp, resolve });
      holder.timer ??= this.arm(who, holder);
    });
  }

  /** Calls `who` is running now (for tests and metrics). */
  running(who: string): number {
    return this.holders.get(who)?.running ?? 0;
  }

  private releaser(who: string, holder: Holder, weight: number): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      holder.running -= weight;
      this.drain(who, holder);
    };
  }

  /**
   * First come, first served: the head of the line goes first, even when a later, smaller call would fit. A head
   * whose caller hung up holds the line until its turn or the next sweep (at most HANG_UP_CHECK_MS) like a live one.
   */
  private drain(who: string, holder: Holder): void {
    for (let next = holder.queue[0]; next; next = holder.queue[0]) {
      // A call nobody waits for any more must not take a slot (and the database).
      if (next.hangUp?.aborted) {
        holder.queue.shift();
        next.resolve(undefined);
        continue;
      }
      if (holder.running + next.weight > this.share) break;
      holder.queue.shift();
      holder.running += next.weight;
      next.resolve(this.releaser(who, holder, next.weight));
    }
    this.forget(who, holder);
  }

  /** The line's timer: at its head's deadline, or sooner to look for hang-ups. */
  private arm(who: string, holder: Holder): NodeJS.Timeout {
    const head = holder.queue[0]!;
    const wait = Math.min(HANG_UP_CHECK_MS, Math.max(1, Math.ceil(head.deadline - performance.now())));
    // Every waiter is a request in flight, which shutdown waits for anyway: the timer need not hold the process.
    return setTimeout(() => this.sweep(who, holder), wait).unref();
  }

  /** Takes out of the line the calls whose time is up (refused) and those whose caller left. */
  private sweep(who: string, holder: Holder): void {
    holder.timer = undefined;
    const now = performance.now();
    const left = holder.queue.filter((waiter) => {
      const staying = waiter.deadline > now && !waiter.hangUp?.aborted;
      if (!staying) waiter.resolve(undefined);
      return staying;
    });
    if (left.length < holder.queue.length) {
      holder.queue = left;
      // One that left may have been the head of the line, holding back smaller calls that fit.
      this.drain(who, holder);
    }
    if (holder.queue.length > 0) holder.timer = this.arm(who, holder);
  }

  /** An idle caller takes no memory: keys and spaces come and go. */
  private forget(who: string, holder: Holder): void {
    if (holder.queue.length === 0 && holder.timer) {
      clearTimeout(holder.timer);
      holder.timer = undefined;
    }
    if (holder.running === 0 && holder.queue.length === 0) this.holders.delete(who);
  }
}

/**
 * The same response, giving back its call's slots once its body has been sent or abandoned (tRPC may stream a
 * batch's answers as they come: the calls run until the last one is written).
 */
export function releaseWhenSent(response: Response, release: Release): Response {
  if (!response.body) {
    release();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
