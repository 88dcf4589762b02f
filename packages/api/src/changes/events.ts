/** The events of a stream that are not changes, as every transport sends them. */
import type { ChangeEvent } from "./schemas.ts";

export const RESYNC_REASON =
  "The changes after the id resumed from were pruned (CHANGES_RETENTION); read the current state again";

export function controlEvent(kind: "ready" | "resync", at: Date): ChangeEvent {
  return kind === "ready"
    ? { type: "ready", at: at.toISOString() }
    : { type: "resync", at: at.toISOString(), reason: RESYNC_REASON };
}
