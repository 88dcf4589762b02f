/**
 * Stream tokens: what a browser's native EventSource, which cannot send headers, presents instead of an API key to
 * open a change stream (`?token=` on GET /api/changes or videoAnalysis.onChange). Minted by a call authenticated as
 * usual (a real key with read scope), bound to that key and to the space the call acted in, valid for a minute, and
 * good for nothing else: the key verifier refuses its shape, and only the stream routes read it.
 *
 * Signed (HMAC-SHA256) with the key's stored hash: a secret every server process on the database already shares,
 * so a token minted on one process opens a stream on any other (a client resuming after a SIGTERM) without a
 * configured secret, and a deleted or expired key invalidates its tokens at once.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { PrismaClient } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { UnauthorizedError } from "../errors.ts";
import type { KeyScope } from "../access/schemas.ts";
import type { Principal } from "../access/principal.ts";

export const STREAM_TOKEN_PREFIX = "mmst_";
export const STREAM_TOKEN_TTL_MS = 60_000;

interface Claims {
  /** The key's id. */
  k: string;
  /** The space the stream acts in. */
  s: string;
  /** Expiry, milliseconds since the epoch. */
  e: number;
}

const sign = (keyHash: string, payload: string) =>
  // The domain string keeps this MAC from ever meaning anything but a stream token.
  createHmac("sha256", keyHash).update(`memory-mirror stream token\n${payload}`).digest();

/** A token for `principal` (a real key) acting in `space`, valid for STREAM_TOKEN_TTL_MS from `now`. */
export async function mintStreamToken(
  prisma: PrismaClient,
  principal: Principal,
  space: string,
  now = Date.now(),
): Promise<{ token: string; expiresAt: Date }> {
  if (principal.keyId === null) throw new Error("stream tokens are minted for keys only");
  const row = await prisma.apiKey
    .findUnique({ where: { id: principal.keyId }, select: { hash: true } })
    .catch(rethrowDatabaseError);
  if (!row) throw new UnauthorizedError("The API key was deleted while the call ran");
  const claims: Claims = { k: principal.keyId, s: space, e: now + STREAM_TOKEN_TTL_MS };
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const token = `${STREAM_TOKEN_PREFIX}${payload}.${sign(row.hash, payload).toString("base64url")}`;
  return { token, expiresAt: new Date(claims.e) };
}

export type StreamTokenCheck =
  { ok: true; principal: Principal; space: string } | { ok: false; reason: "invalid" | "expired" };

const TOKEN_PATTERN = /^mmst_([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/;

function claimsOf(payload: string): Claims | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null) return undefined;
    const { k, s, e } = value as Record<string, unknown>;
    return typeof k === "string" && typeof s === "string" && typeof e === "number" ? { k, s, e } : undefined;
  } catch {
    return undefined;
  }
}

/** Who a stream token stands for and in which space, or why it opens nothing. */
export async function verifyStreamToken(
  prisma: PrismaClient,
  token: string,
  now = Date.now(),
): Promise<StreamTokenCheck> {
  const match = TOKEN_PATTERN.exec(token);
  const claims = match && claimsOf(match[1]!);
  if (!match || !claims) return { ok: false, reason: "invalid" };
  const row = await prisma.apiKey
    .findUnique({
      where: { id: claims.k },
      select: { id: true, name: true, hash: true, space: true, scopes: true, expiresAt: true },
    })
    .catch(rethrowDatabaseError);
  const mac = Buffer.from(match[2]!, "base64url");
  // Signature before expiry: an altered token is "invalid", whatever expiry it claims.
  if (!row || !timingSafeEqual(sign(row.hash, match[1]!), mac)) return { ok: false, reason: "invalid" };
  if (row.expiresAt && row.expiresAt.getTime() <= now) return { ok: false, reason: "invalid" };
  if (claims.e <= now) return { ok: false, reason: "expired" };
  const principal: Principal = { keyId: row.id, name: row.name, space: row.space, scopes: row.scopes as KeyScope[] };
  return { ok: true, principal, space: claims.s };
}
