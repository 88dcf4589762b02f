/**
 * GET /openapi.json: a valid OpenAPI 3.1 document describing every REST route and every tRPC procedure, and
 * agreeing with what the server really answers. The document does not depend on the database: embedded only.
 */
import { readFile } from "node:fs/promises";
import { compileErrors, validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listProcedures } from "../src/openapi/procedures.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { REST_ANALYSIS_KEYS } from "./support/rest-analysis-keys.ts";

type JsonObject = Record<string, unknown>;
const rootPackage = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8")) as {
  license?: string;
};
interface Operation {
  description?: string;
  tags?: string[];
  parameters?: {
    name: string;
    in: string;
    required?: boolean;
    schema?: JsonObject;
    content?: Record<string, { schema: JsonObject }>;
  }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonObject }> };
  responses: Record<string, { content?: Record<string, { schema: JsonObject }> }>;
}
interface Document {
  openapi: string;
  info: { license?: { name: string } };
  servers?: { url: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonObject> };
}

/** The original service's contract: every route must be documented. */
const REST_ROUTES = [
  ["post", "/api/video-analysis/", ["201", "409", "422"]],
  ["get", "/api/video-analysis/", ["200", "422"]],
  ["get", "/api/video-analysis/{video_id}", ["200", "404", "422"]],
  ["put", "/api/video-analysis/{video_id}", ["200", "404", "412", "422"]],
  ["delete", "/api/video-analysis/{video_id}", ["204", "404", "412", "422"]],
  ["get", "/api/video-analysis/{video_id}/history", ["200", "404", "422"]],
  ["post", "/api/bulk/upsert", ["200", "422"]],
  ["post", "/api/bulk/get", ["200", "413", "422"]],
  ["post", "/api/bulk/delete", ["200", "422"]],
  ["post", "/api/search", ["200", "422"]],
  ["post", "/api/context", ["200", "422"]],
  ["get", "/api/tags", ["200", "422"]],
  ["get", "/api/changes", ["200", "422", "429"]],
  ["post", "/api/changes/token", ["200", "403"]],
] as const;

describe("GET /openapi.json", () => {
  let server: TestServer;
  let doc: Document;
  let text: string;
  beforeAll(async () => {
    server = await startTestServer("embedded");
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    text = await response.text();
    doc = JSON.parse(text) as Document;
  });
  afterAll(() => server?.close());

  const resolve = (schema: JsonObject | undefined): JsonObject => {
    const ref = schema?.$ref;
    if (typeof ref !== "string") return schema ?? {};
    const target = doc.components.schemas[ref.replace("#/components/schemas/", "")];
    expect(target, `${ref} must exist`).toBeDefined();
    return target ?? {};
  };
  const props = (schema: JsonObject | undefined) => (resolve(schema).properties ?? {}) as Record<string, JsonObject>;

  it("is a valid OpenAPI 3.1 document (@readme/openapi-parser)", async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    // The parser dereferences in place: give it its own copy.
    const copy: unknown = JSON.parse(text);
    const result = await validate(copy as Parameters<typeof validate>[0]);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
  });

  it("declares its server and license, and says why two REST paths keep the original's trailing slash", () => {
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) as string }]);
    // No LICENSE file: the document says what package.json says, not a license nobody granted.
    expect(doc.info.license).toEqual({ name: rootPackage.license });
    expect(rootPackage.license).toBe("UNLICENSED");
    for (const method of ["get", "post"] as const)
      expect(doc.paths["/api/video-analysis/"]?.[method]?.description).toContain("original FastAPI service");
  });

  it("groups every REST route, retrieval included, under one tag in /docs", () => {
    const restTags = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/"))
      .flatMap(([, item]) => Object.values(item).flatMap((operation) => operation.tags));
    expect(new Set(restTags)).toEqual(new Set(["REST (compatible with the original service)"]));
  });

  it("describes every REST route with its success and error statuses", () => {
    for (const [method, path, statuses] of REST_ROUTES) {
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
      expect(Object.keys(operation?.responses ?? {}).sort()).toEqual([...statuses].sort());
    }
    // The undocumented twins (other trailing slash) must not show up as separate operations.
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith("/api/"))
        .sort(),
    ).toEqual([...new Set(REST_ROUTES.map(([, path]) => path))].sort());
  });

  it("gives REST bodies, parameters and answers their snake_case names and the shared constraints", () => {
    const create = doc.paths["/api/video-analysis/"]?.post;
    expect(create?.requestBody?.required).toBe(true);
    const body = props(create?.requestBody?.content["application/json"]?.schema);
    expect(body.video_id).toMatchObject({ type: "string", minLength: 1, maxLength: 256 });
    expect(body.description).toMatchObject({ type: "string", minLength: 1, maxLength: 50_000 });

    const analysis = props(create?.responses["201"]?.content?.["application/json"]?.schema);
    expect(Object.keys(analysis).sort()).toEqual(REST_ANALYSIS_KEYS);
    expect(analysis.created_at).toMatchObject({ type: "string", format: "date-time" });
    expect(body.recorded_at).toMatchObject({ type: "string", example: "2019-07-14T10:00:00+02:00" });
    expect(body.metadata).toMatchObject({ type: "object" });
    expect(String(body.metadata?.description)).toContain("16384 bytes");

    const list = doc.paths["/api/video-analysis/"]?.get;
    const limit = list?.parameters?.find((p) => p.name === "limit");
    expect(limit).toMatchObject({
      in: "query",
      required: false,
      schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
    });
    expect(list?.parameters?.find((p) => p.name === "cursor")).toMatchObject({
      in: "query",
      required: false,
      schema: { type: "string" },
    });
    const page = props(list?.responses["200"]?.content?.["application/json"]?.schema);
    expect(Object.keys(page).sort()).toEqual(["analyses", "count", "next_cursor"]);

    const getOne = doc.paths["/api/video-analysis/{video_id}"]?.get;
    expect(getOne?.parameters?.find((p) => p.name === "video_id")).toMatchObject({ in: "path", required: true });
    const error = props(getOne?.responses["422"]?.content?.["application/json"]?.schema);
    expect(Object.keys(error)).toEqual(["detail"]);
  });

  it("describes every tRPC procedure in the wire format: queries GET ?input=, mutations POST", () => {
    const procedures = listProcedures();
    expect(procedures.map((p) => p.name).sort()).toEqual([
      "keys.create",
      "keys.list",
      "keys.revoke",
      "videoAnalysis.byVideoId",
      "videoAnalysis.byVideoIds",
      "videoAnalysis.context",
      "videoAnalysis.create",
      "videoAnalysis.delete",
      "videoAnalysis.deleteMany",
      "videoAnalysis.export",
      "videoAnalysis.history",
      "videoAnalysis.list",
      "videoAnalysis.onChange",
      "videoAnalysis.recentChanges",
      "videoAnalysis.search",
      "videoAnalysis.streamToken",
      "videoAnalysis.tags",
      "videoAnalysis.update",
      "videoAnalysis.upsert",
      "videoAnalysis.upsertMany",
    ]);
    for (const procedure of procedures) {
      const item = doc.paths[`/trpc/${procedure.name}`];
      expect(item, procedure.name).toBeDefined();
      const method = procedure.type === "mutation" ? "post" : "get";
      expect(Object.keys(item ?? {})).toEqual([method]);
      const operation = item?.[method];
      if (procedure.type === "subscription") {
        expect(operation?.responses["200"]?.content?.["text/event-stream"]?.schema).toEqual({
          $ref: "#/components/schemas/ChangeEvent",
        });
        continue;
      }
      if (procedure.type === "query" && procedure.input) {
        expect(operation?.parameters?.[0]).toMatchObject({
          name: "input",
          in: "query",
          content: { "application/json": {} },
        });
      } else if (procedure.input) {
        expect(operation?.requestBody?.content["application/json"]?.schema).toBeDefined();
      }
      const ok = props(operation?.responses["200"]?.content?.["application/json"]?.schema);
      expect(Object.keys(ok)).toEqual(["result"]);
      expect(operation?.responses["400"]?.content?.["application/json"]?.schema).toEqual({
        $ref: "#/components/schemas/TRPCErrorResponse",
      });
    }
    expect(doc.paths["/trpc/videoAnalysis.byVideoId"]?.get?.responses["404"]).toBeDefined();
    expect(doc.paths["/trpc/videoAnalysis.create"]?.post?.responses["409"]).toBeDefined();
  });

  it("documents the input side of transforms and the output side of codecs", () => {
    // list's cursor is a string that the procedure decodes into an object: clients send the string.
    const listInput = doc.paths["/trpc/videoAnalysis.list"]?.get?.parameters?.[0];
    expect(listInput?.required).toBe(false);
    const cursor = props(listInput?.content?.["application/json"]?.schema).cursor;
    expect(JSON.stringify(cursor)).toContain('"type":"string"');
    expect(JSON.stringify(cursor)).not.toContain('"type":"object"');
    // Timestamps are Dates in the procedure and ISO strings on the wire.
    const data = props(
      doc.paths["/trpc/videoAnalysis.byVideoId"]?.get?.responses["200"]?.content?.["application/json"]?.schema,
    ).result;
    const analysis = props((data?.properties as Record<string, JsonObject> | undefined)?.data);
    expect(analysis.createdAt).toMatchObject({ type: "string", format: "date-time" });
    expect(doc.paths["/trpc/videoAnalysis.byVideoId"]?.get?.parameters?.[0]?.required).toBe(true);
  });

  it("matches what the server answers on both APIs", async () => {
    const created = await fetch(`${server.url}/trpc/videoAnalysis.create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ videoId: "doc-check", description: "d" }),
    });
    const data = ((await created.json()) as { result: { data: JsonObject } }).result.data;
    expect(Object.keys(data).sort()).toEqual(Object.keys(props(doc.components.schemas.VideoAnalysis)).sort());
    expect(resolve(doc.components.schemas.VideoAnalysis).required).toEqual(expect.arrayContaining(Object.keys(data)));

    const missing = await fetch(
      `${server.url}/trpc/videoAnalysis.byVideoId?input=${encodeURIComponent('{"videoId":"none"}')}`,
    );
    expect(missing.status).toBe(404);
    const envelope = (await missing.json()) as { error: JsonObject & { data: JsonObject } };
    const errorSchema = props(doc.components.schemas.TRPCErrorResponse).error as JsonObject;
    expect(Object.keys(envelope.error).sort()).toEqual(Object.keys(props(errorSchema)).sort());
    expect(Object.keys(envelope.error.data).sort()).toEqual(Object.keys(props(props(errorSchema).data)).sort());

    const rest = (await (await fetch(`${server.url}/api/video-analysis/doc-check`)).json()) as JsonObject;
    const restSchema = props(
      doc.paths["/api/video-analysis/{video_id}"]?.get?.responses["200"]?.content?.["application/json"]?.schema,
    );
    expect(Object.keys(rest).sort()).toEqual(Object.keys(restSchema).sort());
  });
});
