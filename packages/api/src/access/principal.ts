/** Who is calling, and the checks every operation makes of them. */
import { ForbiddenError } from "../errors.ts";
import { ANY_SPACE, DEFAULT_SPACE, KEY_SCOPES, type KeyScope } from "./schemas.ts";

export interface Principal {
  /** The key's id; null when authentication is off. */
  keyId: string | null;
  /** The key's name (for logs and messages), "anonymous" when authentication is off. */
  name: string;
  /** The key's space, or "*" for keys (and unauthenticated local use) that may act in any space. */
  space: string;
  scopes: readonly KeyScope[];
}

/** The caller when AUTH=off: every scope, in the space the request names. */
export const ANONYMOUS: Principal = { keyId: null, name: "anonymous", space: ANY_SPACE, scopes: KEY_SCOPES };

export function requireScope(principal: Principal, scope: KeyScope): void {
  if (!principal.scopes.includes(scope)) {
    throw new ForbiddenError(`This key (${principal.name}) lacks the "${scope}" scope this operation needs`);
  }
}

export function requireScopes(principal: Principal, scopes: readonly KeyScope[]): void {
  for (const scope of scopes) requireScope(principal, scope);
}

/**
 * Key management answers only a real key: with AUTH=off anyone who reaches the server (a rebound web page included)
 * is the anonymous caller, and a key minted by it would outlive the switch to AUTH=required.
 */
export function requireKey(principal: Principal): void {
  if (principal.keyId === null) {
    throw new ForbiddenError(
      "API keys are managed with an admin key, never anonymously (AUTH=off): create the first one with " +
        "pnpm keys:create --admin and send it as Authorization: Bearer mm_…",
    );
  }
}

/**
 * The one space a request acts in. A space-bound key acts in its own space (naming another is refused, never
 * silently ignored); an any-space principal acts in the requested space, `default` when none is named.
 */
export function resolveSpace(principal: Principal, requested: string | undefined): string {
  if (principal.space === ANY_SPACE) return requested ?? DEFAULT_SPACE;
  if (requested !== undefined && requested !== principal.space) {
    throw new ForbiddenError(
      `This key (${principal.name}) belongs to space "${principal.space}", not ${JSON.stringify(requested)}`,
    );
  }
  return principal.space;
}
