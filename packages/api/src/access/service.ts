/** Key management (admin) and key verification (every authenticated request). */
import { timingSafeEqual } from "node:crypto";
import type { PrismaClient } from "@memory-mirror/db";
import { LRUCache } from "lru-cache";
import { rethrowDatabaseError } from "../database-errors.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { generateKey, hashKey, keyPrefix } from "./keys.ts";
import type { Principal } from "./principal.ts";
import { type CreateKeyInput, KEY_PATTERN, type KeyInfoRow, type KeyScope } from "./schemas.ts";

export interface AdminContext {
  prisma: PrismaClient;
}

const select = {
  id: true,
  name: true,
  prefix: true,
  space: true,
  scopes: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
} as const;

const toInfo = (row: { scopes: string[] } & Omit<KeyInfoRow, "scopes">): KeyInfoRow => ({
  ...row,
  scopes: row.scopes as KeyScope[],
});

async function create({ prisma }: AdminContext, input: CreateKeyInput): Promise<{ key: string; info: KeyInfoRow }> {
  const key = generateKey();
  try {
    const row = await prisma.apiKey.create({
      data: {
        name: input.name,
        hash: hashKey(key),
        prefix: keyPrefix(key),
        space: input.space,
        scopes: input.scopes,
        expiresAt: input.expiresAt ?? null,
      },
      select,
    });
    return { key, info: toInfo(row) };
  } catch (error) {
    rethrowDatabaseError(error, {
      conflict: () => new ConflictError(`A key named ${JSON.stringify(input.name)} already exists`),
    });
  }
}

async function list({ prisma }: AdminContext): Promise<{ items: KeyInfoRow[] }> {
  const rows = await prisma.apiKey
    .findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }], select })
    .catch(rethrowDatabaseError);
  return { items: rows.map(toInfo) };
}

/** Deletes the key named (by name or id): it stops working everywhere within the verifier's cache time. */
async function revoke({ prisma }: AdminContext, { key }: { key: string }): Promise<KeyInfoRow> {
  const rows = await prisma.apiKey
    .findMany({ where: { OR: [{ name: key }, { id: key }] }, select, take: 2 })
    .catch(rethrowDatabaseError);
  const row = rows[0];
  if (!row) throw new NotFoundError(`No key named ${JSON.stringify(key)}`);
  await prisma.apiKey.delete({ where: { id: row.id } }).catch(rethrowDatabaseError);
  return toInfo(row);
}

export const keyService = { create, list, revoke };

export interface KeyVerifierOptions {
  /** How long a verified (or unknown) key is trusted without asking the database: revocation takes this long. */
  cacheMs?: number;
  /** How often last-used times are written per key, at most. */
  touchEveryMs?: number;
  /** Most keys remembered, known and unknown each (10,000). */
  cacheSize?: number;
  onTouchError?: (error: unknown) => void;
}

/**
 * The key's principal, or undefined when it is not a live key. With `cachedOnly` the database is not asked: a key not
 * verified within the cache time is undefined too (for callers refusing further lookups from an address).
 */
export type KeyVerifier = (key: string, options?: { cachedOnly?: boolean }) => Promise<Principal | undefined>;

/**
 * Verifies bearer keys with a short cache, so authentication costs no database round trip on the hot path.
 * Unknown keys are cached too, apart and bounded, so a flood of made-up keys can neither become a flood of queries
 * nor push real keys out of the cache.
 */
export function createKeyVerifier(prisma: PrismaClient, options: KeyVerifierOptions = {}): KeyVerifier {
  const cacheMs = options.cacheMs ?? 3000;
  const touchEveryMs = options.touchEveryMs ?? 60_000;
  /** `digest`: the stored hash's bytes, decoded once per lookup rather than on every request. */
  type Known = { principal: Principal; digest: Buffer; expiresAt: Date | null };
  const max = options.cacheSize ?? 10_000;
  const known = new LRUCache<string, Known>({ max, ttl: cacheMs });
  const unknown = new LRUCache<string, true>({ max, ttl: cacheMs });
  const touched = new LRUCache<string, true>({ max: 10_000, ttl: touchEveryMs });
  // When a cached key expires, every request in flight with it misses at once: they share one lookup.
  const pending = new Map<string, Promise<Known | undefined>>();

  async function lookup(hash: string): Promise<Known | undefined> {
    const row = await prisma.apiKey
      .findUnique({
        where: { hash },
        select: { id: true, name: true, hash: true, space: true, scopes: true, expiresAt: true },
      })
      .catch(rethrowDatabaseError);
    if (!row) return undefined;
    const principal: Principal = { keyId: row.id, name: row.name, space: row.space, scopes: row.scopes as KeyScope[] };
    return { principal, digest: Buffer.from(row.hash, "hex"), expiresAt: row.expiresAt };
  }

  function touch(id: string) {
    if (touched.has(id)) return;
    touched.set(id, true);
    // Off the request's path: a lost update only makes lastUsedAt a little older.
    prisma.apiKey
      .updateMany({ where: { id }, data: { lastUsedAt: new Date() } })
      .catch(options.onTouchError ?? (() => {}));
  }

  return async (key, { cachedOnly = false } = {}) => {
    if (!KEY_PATTERN.test(key)) return undefined;
    const hash = hashKey(key);
    let entry = known.get(hash);
    if (!entry) {
      if (cachedOnly || unknown.has(hash)) return undefined;
      let looking = pending.get(hash);
      if (!looking) {
        looking = lookup(hash).finally(() => pending.delete(hash));
        pending.set(hash, looking);
      }
      entry = await looking;
      if (!entry) {
        unknown.set(hash, true);
        return undefined;
      }
      known.set(hash, entry);
    }
    // The index found the row by hash; comparing the digests in constant time leaves nothing to time on the way.
    if (!timingSafeEqual(entry.digest, Buffer.from(hash, "hex"))) return undefined;
    if (entry.expiresAt && entry.expiresAt.getTime() <= Date.now()) return undefined;
    if (entry.principal.keyId) touch(entry.principal.keyId);
    return entry.principal;
  };
}
