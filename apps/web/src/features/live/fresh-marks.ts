import { useSyncExternalStore } from "react";

/** How long a memory changed elsewhere stays marked. */
export const FRESH_MS = 8000;

export type Freshness = "new" | "changed";

const marks = new Map<string, Freshness>();
const listeners = new Set<() => void>();
let version = 0;

const notify = () => {
  version++;
  for (const listener of listeners) listener();
};

/** Marks a memory created or changed elsewhere, for a moment. */
export function markFresh(videoId: string, kind: Freshness): void {
  marks.set(videoId, marks.get(videoId) === "new" ? "new" : kind);
  notify();
  setTimeout(() => {
    marks.delete(videoId);
    notify();
  }, FRESH_MS);
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/** The marks, re-read whenever one comes or goes. */
export function useFreshMarks(): ReadonlyMap<string, Freshness> {
  useSyncExternalStore(subscribe, () => version);
  return marks;
}
