/**
 * This tab's own writes, so that their change events are not shown as "changed elsewhere". A write is registered
 * before its request is sent (the mutation's onMutate): the server may publish its event before it answers, and
 * that event must already be known as ours. Until the answer, any event for the memory is taken as ours; once the
 * answer gives the version, only that version's event is. An entry goes when both the answer and its event came.
 */
import type { Snapshot } from "../memories/memory-cache.ts";

interface OwnWrite {
  videoId: string;
  /** The version the server answered with; undefined while the request is out. */
  version?: number;
  /** Versions of this memory whose events arrived while the request was out. */
  seen: Set<number>;
}

const writes = new Set<OwnWrite>();

/**
 * The handlers of a mutation that writes one memory and shows it at once (create, update): the write is registered
 * first, before its request can be sent; `show` then puts it on screen and returns how to undo that. The answer's
 * version settles the registration; a failure undoes what was shown and drops it (nothing was written: no event).
 */
export function ownWriteHandlers<Input extends { videoId: string }>(show: (input: Input) => Promise<Snapshot>) {
  return {
    onMutate: async (input: Input) => {
      const own: OwnWrite = { videoId: input.videoId, seen: new Set() };
      writes.add(own);
      try {
        return { own, shown: await show(input) };
      } catch (error) {
        // onError gets no context then: drop the registration here, or every later event of this memory is "ours".
        writes.delete(own);
        throw error;
      }
    },
    onSuccess: ({ version }: { version: number }, _input: Input, { own }: { own: OwnWrite }) => {
      if (own.seen.has(version)) writes.delete(own);
      else own.version = version;
    },
    onError: (_error: unknown, _input: Input, write: { own: OwnWrite; shown: Snapshot } | undefined) => {
      if (!write) return;
      write.shown.restore();
      writes.delete(write.own);
    },
  };
}

/** Whether this change event is of one of this tab's writes (answered or still out). */
export function isOwnWrite(videoId: string, version: number): boolean {
  for (const write of writes) {
    if (write.videoId !== videoId) continue;
    if (write.version === version) {
      writes.delete(write);
      return true;
    }
  }
  for (const write of writes) {
    if (write.videoId === videoId && write.version === undefined) {
      write.seen.add(version);
      return true;
    }
  }
  return false;
}
