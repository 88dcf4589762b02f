/** API keys: made here, stored as a SHA-256 only, shown to a person once. */
import { hash, randomBytes } from "node:crypto";
import { KEY_PREFIX } from "./schemas.ts";

/** `mm_` and 32 random bytes in base64url (43 characters): 256 bits, beyond guessing. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * Lowercase hex SHA-256: keys carry full entropy, so a slow password hash would add cost and no safety. One-shot
 * `crypto.hash`, not a `createHash` object: every authenticated request hashes its key, and the object's setup was
 * most of that cost.
 */
export function hashKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** What listings show of a key: enough to tell keys apart, far too little to use. */
export const keyPrefix = (key: string): string => key.slice(0, KEY_PREFIX.length + 4);
