/**
 * This tab's own writes, so that their change events are not shown as "changed elsewhere". A write is registered
 * before its request is sent (the mutation's onMutate): the server may publish its event before it answers, and
 * that event must already be known as ours. Until the answer, any event for the memory is taken as ours; once the
 * answer gives the version, only that version's event is. An entry goes when both the answer and its event came.
 */
interface OwnWrite {
  videoId: string;
  /** The version the server answered with; undefined while the request is out. */
  version?: number;
  /** Versions of this memory whose events arrived while the request was out. */
  seen: Set<number>;
}

const writes = new Set<OwnWrite>();

/** Call before sending the request; hand the result to `ownWriteAnswered` or `ownWriteFailed`. */
export function beginOwnWrite(videoId: string): OwnWrite {
  const write: OwnWrite = { videoId, seen: new Set() };
  writes.add(write);
  return write;
}

export function ownWriteAnswered(write: OwnWrite, version: number): void {
  if (write.seen.has(version)) writes.delete(write);
  else write.version = version;
}

/** Nothing was written: no event will come. */
export function ownWriteFailed(write: OwnWrite): void {
  writes.delete(write);
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
