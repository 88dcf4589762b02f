/**
 * The video-analysis queries, each in exactly one space. Inputs arrive validated (schemas.ts); failures leave as
 * domain errors, so every transport (tRPC, REST, MCP) calls these functions directly and maps errors its own way.
 */
import type { PrismaClient } from "@memory-mirror/db";
import type { ResponseBudget } from "../budget.ts";
import { rethrowDatabaseError } from "../database-errors.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import {
  type CreateInput,
  encodeCursor,
  type ListInput,
  type ListPage,
  type UpdateInput,
  type VideoAnalysisRow,
  type VideoIdInput,
} from "./schemas.ts";

/** What every operation acts through: the database, the caller's one space, and the request's answer budget. */
export interface ServiceContext {
  prisma: PrismaClient;
  space: string;
  budget: ResponseBudget;
}

/** The columns an analysis is made of on the wire, declared once for every query. */
const select = { id: true, videoId: true, description: true, createdAt: true, updatedAt: true } as const;

const notFound = (videoId: string) => () => new NotFoundError(`No video analysis for videoId "${videoId}"`);
const conflict = (videoId: string) => () => new ConflictError(`A video analysis for videoId "${videoId}" already exists`);

function charged(budget: ResponseBudget, row: VideoAnalysisRow): VideoAnalysisRow {
  budget.charge(1, [row.videoId, row.description]);
  return row;
}

async function create({ prisma, space }: ServiceContext, input: CreateInput): Promise<VideoAnalysisRow> {
  try {
    return await prisma.videoAnalysis.create({ data: { space, ...input }, select });
  } catch (error) {
    rethrowDatabaseError(error, { conflict: conflict(input.videoId) });
  }
}

async function byVideoId({ prisma, space, budget }: ServiceContext, { videoId }: VideoIdInput): Promise<VideoAnalysisRow> {
  const row = await prisma.videoAnalysis
    .findUnique({ where: { space_videoId: { space, videoId } }, select })
    .catch(rethrowDatabaseError);
  if (!row) throw notFound(videoId)();
  return charged(budget, row);
}

/**
 * Sets a new description and moves updatedAt strictly forward, even when the update lands in the same
 * millisecond as the previous write (Prisma's @updatedAt alone would leave it unchanged then).
 */
async function update({ prisma, space }: ServiceContext, { videoId, description }: UpdateInput): Promise<VideoAnalysisRow> {
  const rows = await prisma.$queryRaw<VideoAnalysisRow[]>`
    UPDATE "VideoAnalysis"
    SET "description" = ${description},
        "updatedAt" = GREATEST(${new Date()}::timestamp(3), "updatedAt" + interval '1 millisecond')
    WHERE "space" = ${space} AND "videoId" = ${videoId}
    RETURNING "id", "videoId", "description", "createdAt", "updatedAt"`.catch(rethrowDatabaseError);
  const row = rows[0];
  if (!row) throw notFound(videoId)();
  return row;
}

async function remove({ prisma, space }: ServiceContext, { videoId }: VideoIdInput): Promise<VideoAnalysisRow> {
  try {
    return await prisma.videoAnalysis.delete({ where: { space_videoId: { space, videoId } }, select });
  } catch (error) {
    rethrowDatabaseError(error, { notFound: notFound(videoId) });
  }
}

/** Newest first, by keyset on (createdAt, id): id breaks ties between rows created in the same millisecond. */
function list({ prisma, space, budget }: ServiceContext, { limit, cursor }: ListInput): Promise<ListPage> {
  return budget.exclusive(async () => {
    budget.reserveRows(limit);
    const rows = await prisma.videoAnalysis
      .findMany({
        where: cursor
          ? { space, OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }
          : { space },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: limit + 1,
        select,
      })
      .catch(rethrowDatabaseError);
    const items = rows.slice(0, limit);
    budget.charge(items.length, items.flatMap((i) => [i.videoId, i.description]));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  });
}

/** The operations by the names every transport gives them. */
export const videoAnalysisService = { create, byVideoId, update, delete: remove, list };
