/**
 * Regression tests for a key's line (ConcurrencyShares) since it has one timer for the whole line instead of a timer
 * and an abort listener per waiter: each waiter is still refused at its own KEY_QUEUE_MS, one whose caller hung up
 * still leaves the line and never takes a slot, and the line stays first come, first served.
 */
import { describe, expect, it } from "vitest";
import { ConcurrencyShares, type Release } from "../src/concurrency.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Whether `promise` has settled by the next macrotask (what it answered, or "pending"). */
const settled = <T>(promise: Promise<T>) => Promise.race([promise, sleep(0).then(() => "pending" as const)]);

describe("a key's line", () => {
  it("refuses each waiter at its own deadline, not the first waiter's or the line's", async () => {
    const shares = new ConcurrencyShares(1, 300);
    const held = await shares.acquire("k", 1);
    const first = shares.acquire("k", 1);
    await sleep(150);
    const second = shares.acquire("k", 1);
    // At 300 ms from the first: refused; the second, 150 ms younger, still waits.
    expect(await first).toBeUndefined();
    expect(await settled(second)).toBe("pending");
    held!();
    const admitted = await second;
    expect(admitted).toBeTypeOf("function");
    expect(shares.running("k")).toBe(1);
    admitted!();
    expect(shares.running("k")).toBe(0);
  });

  it("lets a waiter whose caller hung up leave the line within moments, without ever taking a slot", async () => {
    const shares = new ConcurrencyShares(1, 30_000);
    const held = await shares.acquire("k", 1);
    const hangUp = new AbortController();
    const gone = shares.acquire("k", 1, () => hangUp.signal);
    const next = shares.acquire("k", 1);
    hangUp.abort();
    // Out of the line well before its 30 s bound, while the slot is still held.
    const started = performance.now();
    expect(await gone).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(shares.running("k")).toBe(1);
    held!();
    // The slot goes to the call behind it.
    const admitted = await next;
    expect(admitted).toBeTypeOf("function");
    expect(shares.running("k")).toBe(1);
    admitted!();
  });

  it("skips at its turn a waiter whose caller hung up just before, and admits the one behind it", async () => {
    const shares = new ConcurrencyShares(1, 30_000);
    const held = await shares.acquire("k", 1);
    const hangUp = new AbortController();
    const gone = shares.acquire("k", 1, () => hangUp.signal);
    const next = shares.acquire("k", 1);
    hangUp.abort();
    held!();
    expect(await gone).toBeUndefined();
    const admitted = await next;
    expect(admitted).toBeTypeOf("function");
    expect(shares.running("k")).toBe(1);
    admitted!();
  });

  it("serves first come, first served: a later, smaller call waits behind a larger head", async () => {
    const shares = new ConcurrencyShares(2, 30_000);
    const held: Release[] = [(await shares.acquire("k", 1))!];
    const batch = shares.acquire("k", 2);
    const single = shares.acquire("k", 1);
    // One slot is free, but the head needs two: the single call behind it must not pass.
    expect(await settled(single)).toBe("pending");
    held[0]!();
    const both = await batch;
    expect(shares.running("k")).toBe(2);
    expect(await settled(single)).toBe("pending");
    both!();
    (await single)!();
    expect(shares.running("k")).toBe(0);
  });
});
