/**
 * The video-analysis queries. Inputs arrive validated (schemas.ts); failures leave as domain errors, so every
 * transport (tRPC, REST, MCP) calls these functions directly and maps the errors its own way.
 */
import type { PrismaClient } from "@memory-mirror/db";
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

/** What every operation acts through. */
export interface Scope {
  prisma: PrismaClient;
}

/** The columns an analysis is made of on the wire, declared once for every query. */
const select = { id: true, videoId: true, description: true, createdAt: true, updatedAt: true } as const;

const notFound = (videoId: string) => () => new NotFoundError(`No video analysis for videoId "${videoId}"`);
const conflict = (videoId: string) => () => new ConflictError(`A video analysis for videoId "${videoId}" already exists`);

async function create({ prisma }: Scope, input: CreateInput): Promise<VideoAnalysisRow> {
  try {
    return await prisma.videoAnalysis.create({ data: input, select });
  } catch (error) {
    rethrowDatabaseError(error, { conflict: conflict(input.videoId) });
  }
}

async function byVideoId({ prisma }: Scope, { videoId }: VideoIdInput): Promise<VideoAnalysisRow> {
  const row = await prisma.videoAnalysis.findUnique({ where: { videoId }, select }).catch(rethrowDatabaseError);
  if (!row) throw notFound(videoId)();
  return row;
}

/**
 * Sets a new description and moves updatedAt strictly forward, even when the update lands in the same
 * millisecond as the previous write (Prisma's @updatedAt alone would leave it unchanged then).
 */
async function update({ prisma }: Scope, { videoId, description }: UpdateInput): Promise<VideoAnalysisRow> {
  const rows = await prisma.$queryRaw<VideoAnalysisRow[]>`
    UPDATE "VideoAnalysis"
    SET "description" = ${description},
        "updatedAt" = GREATEST(${new Date()}::timestamp(3), "updatedAt" + interval '1 millisecond')
    WHERE "videoId" = ${videoId}
    RETURNING "id", "videoId", "description", "createdAt", "updatedAt"`.catch(rethrowDatabaseError);
  const row = rows[0];
  if (!row) throw notFound(videoId)();
  return row;
}

async function remove({ prisma }: Scope, { videoId }: VideoIdInput): Promise<VideoAnalysisRow> {
  try {
    return await prisma.videoAnalysis.delete({ where: { videoId }, select });
  } catch (error) {
    rethrowDatabaseError(error, { notFound: notFound(videoId) });
  }
}

/** Newest first, by keyset on (createdAt, id): id breaks ties between rows created in the same millisecond. */
async function list({ prisma }: Scope, { limit, cursor }: ListInput): Promise<ListPage> {
  const rows = await prisma.videoAnalysis
    .findMany({
      where: cursor
        ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }
        : undefined,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: limit + 1,
      select,
    })
    .catch(rethrowDatabaseError);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** The operations by the names every transport gives them. */
export const videoAnalysisService = { create, byVideoId, update, delete: remove, list };
