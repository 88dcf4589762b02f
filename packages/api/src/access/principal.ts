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

/**
 * The one space a request acts in. A space-bound key acts in its own space (naming another is refused, never
 * silently ignored); an any-space principal acts in the requested space, `default` when none is named.
 */
export function resolveSpace(principal: Principal, requested: string | undefined): string {
  if (principal.space === ANY_SPACE) return requested ?? DEFAULT_SPACE;
  if (requested !== undefined && requested !== principal.space) {
    throw new ForbiddenError(`This key (${principal.name}) belongs to space "${principal.space}", not "${requested}"`);
  }
  return principal.space;
}
