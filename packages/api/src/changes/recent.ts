/** `recentChanges`: a bounded page of the change log, for callers that ask rather than subscribe (MCP). */
import { readOnly } from "../read-routing.ts";
import type { ServiceContext } from "../video-analysis/service-context.ts";
import { RESYNC_REASON } from "./events.ts";
import { headOf, matches, prunedThrough, readChanges } from "./log.ts";
import type { RecentChanges, RecentChangesInput } from "./schemas.ts";

/**
 * Changes of the caller's space after `afterId` (or recorded since `since`; neither: from the oldest kept), oldest
 * first. Filters apply to the page read, so a page may hold fewer than `limit` items while `more` is true.
 */
async function readRecent(
  { prisma, space }: ServiceContext,
  { afterId, since, tags, videoIds, limit }: RecentChangesInput,
): Promise<RecentChanges> {
  const items: RecentChanges["items"] = [];
  let after: bigint;
  if (afterId !== undefined) {
    after = BigInt(afterId);
    const pruned = await prunedThrough(prisma);
    if (after < pruned) {
      items.push({ id: pruned.toString(), event: { type: "resync", at: new Date(), reason: RESYNC_REASON } });
      after = pruned;
    }
  } else after = 0n;
  const rows = await readChanges(prisma, [{ space, after }], limit, since ? new Date(since) : undefined);
  const filter = { tags, videoIds: videoIds ? new Set(videoIds) : undefined };
  for (const change of rows) if (matches(change, filter)) items.push({ id: change.id.toString(), event: change.event });
  // Nothing (more) to read: continue after the space's newest change, whatever `since` skipped.
  let last = rows.at(-1)?.id;
  if (last === undefined) {
    const head = await headOf(prisma, space);
    last = head > after ? head : after;
  }
  return { items, nextAfterId: last.toString(), more: rows.length === limit };
}

/**
 * A read like the others (a replica's once it has the space's writes). A replica behind the primary answers a prefix
 * of the log: ids grow in commit order within a space and a standby replays commits in that order, and nextAfterId
 * never goes back before afterId, so a poller skips and repeats nothing whichever server answers each poll.
 */
export const recentChanges = readOnly(readRecent);
