/** Tag counts of a space, most used first. */
import { Prisma, queryDriverSql } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import type { TagsInput, TagsOutput } from "./search-schemas.ts";
import type { ServiceContext } from "./service-context.ts";
import { int, text } from "./stored-row.ts";

export function tags(ctx: ServiceContext, { limit }: TagsInput): Promise<TagsOutput> {
  return ctx.budget.exclusive(async () => {
    ctx.budget.reserveRows(limit);
    // On the driver adapter (queryDriverSql): every tag of the space is read, so a caller who hangs up cancels it.
    const { rows } = await queryDriverSql(
      ctx.prisma,
      Prisma.sql`
      SELECT t."tag", count(*)::int AS "count"
      FROM "VideoAnalysis" v CROSS JOIN LATERAL unnest(v."tags") AS t("tag")
      -- a NULL element (raw SQL only) is no tag, as everywhere else (storedTags)
      WHERE v."space" = ${ctx.space} AND t."tag" IS NOT NULL
      GROUP BY t."tag"
      ORDER BY "count" DESC, t."tag" COLLATE "C"
      LIMIT ${limit}::int`,
      ctx.signal,
    ).catch(rethrowDatabaseError);
    const items = rows.map(([tag, count]) => ({ tag: text(tag), count: int(count) }));
    ctx.budget.charge(
      items.length,
      items.map((i) => i.tag),
    );
    return { items };
  });
}
