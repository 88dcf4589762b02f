/**
 * Each caller's share of the database: how many calls one key (one space with AUTH=off) may run at once in this
 * process. Without it, one caller's slow calls (long searches, writes waiting on a lock) take every pooled connection
 * and every other caller waits for the pool, whatever its space. Calls beyond the share wait in line for up to
 * KEY_QUEUE_MS, then are refused (429) so the caller backs off instead of piling up.
 *
 * A share alone left half the pool idle for a lone caller: a caller past its share also borrows slots while it is
 * alone (no other caller has run a call for LEND_QUIET_MS) and fewer than `lendUpTo` calls run in all (the pool minus
 * POOL_RESERVE), so the reserve stays free for another caller's first calls, which its own share admits at once.
 * Nothing is lent while another caller is about: borrowed slots come back as their calls end, and a busy neighbour's
 * share is never cut by a borrower's long calls filling the gaps between its own (measured: they did, when lending
 * looked at the count of slots in use alone).
 */

/** How long every other caller must have been idle before a caller may borrow past its share. */
export const LEND_QUIET_MS = 1000;

/** Gives back what an admitted call took; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  weight: number;
  /** Arrival order across callers: among heads that fit, the oldest goes first. */
  order: number;
  admit: (release: Release) => void;
}

interface Holder {
  who: string;
  running: number;
  queue: Waiter[];
}

export class ConcurrencyShares {
  private readonly holders = new Map<string, Holder>();
  /** Callers with calls in line. */
  private readonly waiting = new Set<Holder>();
  /** Slots taken by every caller together. */
  private inUse = 0;
  private arrivals = 0;
  /** The last caller to take or give back a slot, and the last one before it that was someone else. */
  private recent: { who: string; at: number }[] = [];

  constructor(
    /** Calls one caller may run at once whatever the others do (KEY_CONCURRENCY). */
    readonly share: number,
    /** How long a call beyond the share waits for a slot (KEY_QUEUE_MS). */
    readonly queueMs: number,
    /** Calls running in all under which a lone caller may go past its share (the pool minus POOL_RESERVE). */
    readonly lendUpTo = share,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * Takes `calls` slots for `who` (a batch takes one per call, at most the whole share), waiting in line for up to
   * queueMs. Resolves to the release, or to undefined when no slot freed in time.
   */
  acquire(who: string, calls: number): Promise<Release | undefined> {
    const weight = Math.min(Math.max(1, calls), this.share);
    const holder = this.holders.get(who) ?? { who, running: 0, queue: [] };
    this.holders.set(who, holder);
    // Within its share a call goes at once; borrowing waits its turn behind those already waiting to borrow.
    const ownTurn = holder.queue.length === 0 && (this.waiting.size === 0 || this.withinShare(holder, weight));
    if (ownTurn && this.fits(holder, weight)) return Promise.resolve(this.take(holder, weight));
    if (this.queueMs === 0) {
      this.forget(holder);
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        weight,
        order: this.arrivals++,
        admit: (release) => {
          clearTimeout(timer);
          resolve(release);
        },
      };
      const timer = setTimeout(() => {
        holder.queue.splice(holder.queue.indexOf(waiter), 1);
        if (holder.queue.length === 0) this.waiting.delete(holder);
        resolve(undefined);
        // It may have been the head of the line, holding back smaller calls that fit.
        this.drain();
        this.forget(holder);
      }, this.queueMs);
      holder.queue.push(waiter);
      this.waiting.add(holder);
    });
  }

  /** Calls `who` is running now (for tests, metrics and messages). */
  running(who: string): number {
    return this.holders.get(who)?.running ?? 0;
  }

  private withinShare(holder: Holder, weight: number): boolean {
    return holder.running + weight <= this.share;
  }

  private fits(holder: Holder, weight: number): boolean {
    if (this.withinShare(holder, weight)) return true;
    return this.inUse + weight <= this.lendUpTo && this.alone(holder);
  }

  /** No other caller runs or waits now (idle ones are forgotten), nor did in the last LEND_QUIET_MS. */
  private alone(holder: Holder): boolean {
    if (this.holders.size > 1) return false;
    const other = this.recent[0]?.who === holder.who ? this.recent[1] : this.recent[0];
    return other === undefined || this.clock() - other.at >= LEND_QUIET_MS;
  }

  private seen(who: string): void {
    const at = this.clock();
    if (this.recent[0]?.who === who) this.recent[0].at = at;
    else this.recent = [{ who, at }, ...this.recent.slice(0, 1)];
  }

  private take(holder: Holder, weight: number): Release {
    holder.running += weight;
    this.inUse += weight;
    this.seen(holder.who);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      holder.running -= weight;
      this.inUse -= weight;
      this.seen(holder.who);
      this.drain();
      this.forget(holder);
    };
  }

  /**
   * Admits what fits now, oldest first among the heads of the callers' lines: each caller's line stays first come,
   * first served (its head goes first, even when a later, smaller call would fit).
   */
  private drain(): void {
    for (;;) {
      let next: Holder | undefined;
      for (const holder of this.waiting) {
        const head = holder.queue[0]!;
        if (this.fits(holder, head.weight) && (!next || head.order < next.queue[0]!.order)) next = holder;
      }
      if (!next) return;
      const head = next.queue.shift()!;
      if (next.queue.length === 0) this.waiting.delete(next);
      head.admit(this.take(next, head.weight));
    }
  }

  /** An idle caller takes no memory: keys and spaces come and go. */
  private forget(holder: Holder): void {
    if (holder.running === 0 && holder.queue.length === 0) this.holders.delete(holder.who);
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
