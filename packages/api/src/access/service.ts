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
    rethrowDatabaseError(error, { conflict: () => new ConflictError(`A key named "${input.name}" already exists`) });
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
  if (!row) throw new NotFoundError(`No key named "${key}"`);
  await prisma.apiKey.delete({ where: { id: row.id } }).catch(rethrowDatabaseError);
  return toInfo(row);
}

export const keyService = { create, list, revoke };

export interface KeyVerifierOptions {
  /** How long a verified (or unknown) key is trusted without asking the database: revocation takes this long. */
  cacheMs?: number;
  /** How often last-used times are written per key, at most. */
  touchEveryMs?: number;
  onTouchError?: (error: unknown) => void;
}

export type KeyVerifier = (key: string) => Promise<Principal | undefined>;

/**
 * Verifies bearer keys with a short cache, so authentication costs no database round trip on the hot path.
 * Unknown keys are cached too (bounded), so a flood of made-up keys cannot become a flood of queries.
 */
export function createKeyVerifier(prisma: PrismaClient, options: KeyVerifierOptions = {}): KeyVerifier {
  const cacheMs = options.cacheMs ?? 3000;
  const touchEveryMs = options.touchEveryMs ?? 60_000;
  type Entry = { principal: Principal; hash: string; expiresAt: Date | null } | { principal: null };
  const cache = new LRUCache<string, Entry>({ max: 10_000, ttl: cacheMs });
  const touched = new LRUCache<string, true>({ max: 10_000, ttl: touchEveryMs });

  async function lookup(hash: string): Promise<Entry> {
    const row = await prisma.apiKey
      .findUnique({
        where: { hash },
        select: { id: true, name: true, hash: true, space: true, scopes: true, expiresAt: true },
      })
      .catch(rethrowDatabaseError);
    if (!row) return { principal: null };
    const principal: Principal = { keyId: row.id, name: row.name, space: row.space, scopes: row.scopes as KeyScope[] };
    return { principal, hash: row.hash, expiresAt: row.expiresAt };
  }

  function touch(id: string) {
    if (touched.has(id)) return;
    touched.set(id, true);
    // Off the request's path: a lost update only makes lastUsedAt a little older.
    prisma.apiKey
      .updateMany({ where: { id }, data: { lastUsedAt: new Date() } })
      .catch(options.onTouchError ?? (() => {}));
  }

  return async (key) => {
    if (!KEY_PATTERN.test(key)) return undefined;
    const hash = hashKey(key);
    let entry = cache.get(hash);
    if (!entry) {
      entry = await lookup(hash);
      cache.set(hash, entry);
    }
    if (!entry.principal) return undefined;
    // The index found the row by hash; comparing the digests in constant time leaves nothing to time on the way.
    if (!timingSafeEqual(Buffer.from(entry.hash, "hex"), Buffer.from(hash, "hex"))) return undefined;
    if (entry.expiresAt && entry.expiresAt.getTime() <= Date.now()) return undefined;
    if (entry.principal.keyId) touch(entry.principal.keyId);
    return entry.principal;
  };
}
