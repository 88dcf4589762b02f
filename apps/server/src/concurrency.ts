/**
 * Each caller's share of the database: how many calls one key (one space with AUTH=off) may run at once in this
 * process. Without it, one caller's slow calls (long searches, writes waiting on a lock) take every pooled connection
 * and every other caller waits for the pool, whatever its space. Calls beyond the share wait in line for up to
 * KEY_QUEUE_MS, then are refused (429) so the caller backs off instead of piling up.
 */

/** Gives back what an admitted call took; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  weight: number;
  admit: (release: Release) => void;
}

interface Holder {
  running: number;
  queue: Waiter[];
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
    const holder = this.holders.get(who) ?? { running: 0, queue: [] };
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
      const waiter: Waiter = {
        weight,
        admit: (release) => {
          clearTimeout(timer);
          hangUp?.removeEventListener("abort", leave);
          resolve(release);
        },
      };
      // A call nobody waits for any more leaves the line: it must not take a slot (and the database) later.
      const leave = () => {
        clearTimeout(timer);
        hangUp?.removeEventListener("abort", leave);
        holder.queue.splice(holder.queue.indexOf(waiter), 1);
        resolve(undefined);
        // It may have been the head of the line, holding back smaller calls that fit.
        this.drain(who, holder);
      };
      const timer = setTimeout(leave, this.queueMs);
      hangUp?.addEventListener("abort", leave);
      holder.queue.push(waiter);
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

  /** First come, first served: the head of the line goes first, even when a later, smaller call would fit. */
  private drain(who: string, holder: Holder): void {
    for (let next = holder.queue[0]; next && holder.running + next.weight <= this.share; next = holder.queue[0]) {
      holder.queue.shift();
      holder.running += next.weight;
      next.admit(this.releaser(who, holder, next.weight));
    }
    this.forget(who, holder);
  }

  /** An idle caller takes no memory: keys and spaces come and go. */
  private forget(who: string, holder: Holder): void {
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
