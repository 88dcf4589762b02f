/**
 * How KEY_CONCURRENCY's shares lend idle slots (concurrency.ts): a lone key runs up to the pool minus POOL_RESERVE,
 * another key's calls still start at once beside it, nothing is lent while another key is about (nor for
 * LEND_QUIET_MS after), and a call that finds no slot within KEY_QUEUE_MS is refused as before. The class alone, with no server: the HTTP side (429s, a
 * second key answered while one is stuck on a lock) is fair-share.test.ts's.
 */
import { describe, expect, it } from "vitest";
import { ConcurrencyShares, LEND_QUIET_MS, type Release } from "../src/concurrency.ts";

/** What `acquire` has settled to once the event loop has turned: the release, refused, or still waiting. */
async function settled(acquired: Promise<Release | undefined>): Promise<Release | "refused" | "waiting"> {
  const waiting = new Promise<"waiting">((resolve) => setImmediate(() => resolve("waiting")));
  return Promise.race([acquired.then((release) => release ?? "refused"), waiting]);
}

async function admitted(acquired: Promise<Release | undefined>): Promise<Release> {
  const outcome = await settled(acquired);
  if (typeof outcome !== "function") throw new Error(`expected a slot at once, got ${outcome}`);
  return outcome;
}

const take = (shares: ConcurrencyShares, who: string, n: number) =>
  Promise.all(Array.from({ length: n }, () => admitted(shares.acquire(who, 1))));

describe("KEY_CONCURRENCY shares lending idle slots (share 2, pool 10, POOL_RESERVE 3: lent up to 7 in use)", () => {
  // Long enough that no call here is refused for waiting, unless the test says so.
  const shares = () => new ConcurrencyShares(2, 30_000, 10 - 3);

  it("a lone key runs the pool minus the reserve at once; its next call waits for one of them", async () => {
    const s = shares();
    const a = await take(s, "a", 7);
    const eighth = s.acquire("a", 1);
    expect(await settled(eighth)).toBe("waiting");
    a[0]!();
    a.push(await admitted(eighth));
    expect(s.running("a")).toBe(7);
    for (const release of a) release();
    expect(s.running("a")).toBe(0);
  });

  it("a second key is served at once within its share while the first has borrowed all it may", async () => {
    const s = shares();
    const a = await take(s, "a", 7);
    const waitingA = s.acquire("a", 1);
    const b = await take(s, "b", 2);
    expect(s.running("b")).toBe(2);
    // Past its own share the second key borrows nothing: nothing is idle beyond the reserve.
    const waitingB = s.acquire("b", 1);
    expect(await settled(waitingB)).toBe("waiting");
    for (const release of [...a, ...b]) release();
    for (const waiting of [waitingA, waitingB]) (await waiting)!();
  });

  it("nothing is lent while another key runs, nor until LEND_QUIET_MS after its last call", async () => {
    let now = 0;
    const s = new ConcurrencyShares(2, 30_000, 7, () => now);
    const a = await take(s, "a", 5);
    const b = await admitted(s.acquire("b", 1));
    // 6 in use, room for a 7th, but b is about: a's next call waits.
    const next = s.acquire("a", 1);
    expect(await settled(next)).toBe("waiting");
    b();
    expect(await settled(next)).toBe("waiting");
    now = LEND_QUIET_MS - 1;
    a[0]!();
    expect(await settled(next)).toBe("waiting");
    now = LEND_QUIET_MS;
    a[1]!();
    a.push(await admitted(next));
    expect(s.running("a")).toBe(4);
    for (const release of a) release();
  });

  it("with nothing to lend (the pool minus the reserve at most the share), a call past the share is refused after KEY_QUEUE_MS", async () => {
    const s = new ConcurrencyShares(2, 50, 2);
    await take(s, "a", 2);
    expect(await s.acquire("a", 1)).toBeUndefined();
    await take(s, "b", 2);
  });

  it("with KEY_QUEUE_MS 0, a call finding no slot to take or borrow is refused at once", async () => {
    const s = new ConcurrencyShares(2, 0, 7);
    await take(s, "a", 7);
    expect(await settled(s.acquire("a", 1))).toBe("refused");
  });
});
