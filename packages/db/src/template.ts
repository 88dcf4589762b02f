/**
 * An empty embedded cluster, made by initdb once and copied for every further one. Opening PGlite in memory or on
 * an empty directory runs initdb in wasm: 1–7 s of CPU, and far more when a test run starts a dozen vitest workers
 * that all do it at once on two cores (hooks took 57 s of their 60 s). Starting from a copy takes ≈0.5 s in memory
 * (`loadDataDir`) and a file copy for a directory. The schema engine opens a main and a shadow database per diff.
 *
 * The copy is cached on disk for every process of this user and PGlite version (`$TMPDIR/memory-mirror-template-*`,
 * about 40 MB): the first process to need it builds it under a lock while the others wait, instead of all running
 * initdb together. It is a cluster PostgreSQL shut down cleanly: one dumped from a running cluster would start with
 * crash recovery, which with fsync on (see embedded.ts) first fsyncs all ~1,000 files.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { acquireDirectoryLock, DirectoryLockedError } from "./lock.ts";
import { PGLITE_EXTENSIONS } from "./pglite-extensions.ts";

/** Bump when the cached file's content changes meaning. */
const FORMAT = 1;
/** A live builder that takes longer than this is presumed stuck: build without it. */
const MAX_WAIT_MS = 5 * 60_000;

let cluster: Promise<Uint8Array> | undefined;

/** The template cluster as a ustar archive (PGlite's `loadDataDir` format), from the cache or built now. */
function clusterTar(): Promise<Uint8Array> {
  cluster ??= loadOrBuild();
  return cluster;
}

/** Makes sure the template exists now (tests call it in beforeAll, so no test pays for initdb). */
export async function prepareClusterTemplate(): Promise<void> {
  await clusterTar();
}

/** The template as a tarball PGlite's `loadDataDir` option takes. */
async function emptyClusterTemplate(): Promise<Blob> {
  return new Blob([new Uint8Array(await clusterTar())]); // a copy backed by a plain ArrayBuffer, as DOM typings want
}

/** An empty in-memory PGlite started from the template instead of initdb. */
export async function openTemplatePGlite(): Promise<PGlite> {
  return PGlite.create({ loadDataDir: await emptyClusterTemplate(), extensions: PGLITE_EXTENSIONS });
}

/** Writes the template into `dir` (created if absent), so that PGlite in any process opens it without initdb. */
export async function writeClusterTemplate(dir: string): Promise<void> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  for (const entry of tarEntries(await clusterTar())) {
    const target = path.resolve(root, entry.name);
    if (target !== root && !target.startsWith(root + path.sep))
      throw new Error(`template entry escapes ${root}: ${entry.name}`);
    if (entry.type === "directory") await mkdir(target, { recursive: true, mode: entry.mode });
    else {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, entry.data, { mode: entry.mode });
    }
  }
}

function cacheDir(): string {
  // The package's exports hide its package.json: find it above the entry point.
  let dir = path.dirname(fileURLToPath(import.meta.resolve("@electric-sql/pglite")));
  while (!existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  const { version } = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string };
  return path.join(tmpdir(), `memory-mirror-template-pglite-${version}-v${FORMAT}-${process.getuid?.() ?? "user"}`);
}

async function loadOrBuild(): Promise<Uint8Array> {
  const dir = cacheDir();
  const file = path.join(dir, "cluster.tar");
  const started = performance.now();
  await mkdir(dir, { recursive: true });
  for (;;) {
    const cached = await readValid(file);
    if (cached) return cached;
    let lock;
    try {
      lock = await acquireDirectoryLock(path.join(dir, "build.lock"));
    } catch (error) {
      if (!(error instanceof DirectoryLockedError) || performance.now() - started > MAX_WAIT_MS) return build(file);
      await new Promise((resolve) => setTimeout(resolve, 250)); // another process is building it
      continue;
    }
    try {
      return (await readValid(file)) ?? (await build(file));
    } finally {
      await lock.release();
    }
  }
}

/** The cached archive if it is complete (it is written under another name and renamed, but disks fail). */
async function readValid(file: string): Promise<Uint8Array | undefined> {
  try {
    const tar = new Uint8Array(await readFile(file));
    const names = new Set([...tarEntries(tar)].map((e) => e.name));
    return names.has("PG_VERSION") && names.has("global/pg_control") ? tar : undefined;
  } catch {
    return undefined;
  }
}

async function build(file: string): Promise<Uint8Array> {
  const work = await mkdtemp(path.join(tmpdir(), "mm-template-"));
  try {
    await (await PGlite.create(work)).close(); // initdb, then a clean shutdown
    const tar = writeTar(await readEntries(work));
    const temp = `${file}.${randomUUID()}.tmp`;
    await writeFile(temp, tar);
    await rename(temp, file);
    return tar;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface Entry {
  /** Relative path, "/"-separated. */
  name: string;
  type: "file" | "directory";
  mode: number;
  data: Uint8Array;
}

async function readEntries(root: string, prefix = ""): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const item of await readdir(path.join(root, prefix), { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${item.name}` : item.name;
    const { mode } = await stat(path.join(root, name));
    if (item.isDirectory()) {
      entries.push(
        { name, type: "directory", mode: mode & 0o777, data: new Uint8Array() },
        ...(await readEntries(root, name)),
      );
    } else if (item.isFile()) {
      entries.push({ name, type: "file", mode: mode & 0o777, data: await readFile(path.join(root, name)) });
    }
  }
  return entries;
}

/** A ustar archive of regular files and directories (names up to 100 bytes: a cluster's are far shorter). */
function writeTar(entries: Entry[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const mtime = Math.floor(Date.now() / 1000);
  for (const entry of entries) {
    const header = new Uint8Array(512);
    const put = (offset: number, text: string) => header.set(encoder.encode(text), offset);
    const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, "0")}\0`;
    const name = entry.name; // as PGlite's own dumps: no trailing slash on directories
    if (encoder.encode(name).length > 100) throw new Error(`path too long for the template archive: ${name}`);
    put(0, name);
    put(100, octal(entry.mode, 8));
    put(108, octal(0, 8));
    put(116, octal(0, 8));
    put(124, octal(entry.data.length, 12));
    put(136, octal(mtime, 12));
    header.fill(0x20, 148, 156); // the checksum counts its own field as spaces
    put(156, entry.type === "directory" ? "5" : "0");
    put(257, "ustar\u000000");
    put(
      148,
      `${header
        .reduce((sum, byte) => sum + byte, 0)
        .toString(8)
        .padStart(6, "0")}\0 `,
    );
    parts.push(header, entry.data, new Uint8Array((512 - (entry.data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Reads ustar archives (ours, or PGlite's dumps): regular files and directories only; anything else is refused. */
function* tarEntries(tar: Uint8Array): Generator<Entry> {
  const decoder = new TextDecoder();
  const field = (header: Uint8Array, offset: number, length: number) => {
    const bytes = header.subarray(offset, offset + length);
    const end = bytes.indexOf(0);
    return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
  };
  const octal = (text: string) => (text.trim() === "" ? 0 : Number.parseInt(text.trim(), 8));
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) return; // end of archive
    const prefix = field(header, 345, 155);
    const raw = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const name = raw.replace(/^\/+/, "").replace(/\/+$/, "");
    const size = octal(field(header, 124, 12));
    const flag = String.fromCharCode(header[156] ?? 0);
    const mode = octal(field(header, 100, 8)) & 0o777;
    const data = tar.subarray(offset + 512, offset + 512 + size);
    if (offset + 512 + size > tar.length) throw new Error(`template archive truncated at ${name}`);
    if (flag === "5") yield { name, type: "directory", mode: mode || 0o700, data };
    else if (flag === "0" || flag === "\0") yield { name, type: "file", mode: mode || 0o600, data };
    else throw new Error(`Unsupported entry type '${flag}' for ${name} in the template archive`);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
}
