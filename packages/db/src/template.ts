/**
 * An empty embedded cluster made once per process and copied for every further one: opening PGlite on an empty
 * directory or in memory runs initdb in wasm (1–7 s of CPU-bound work, the most on a busy 2-core machine); starting
 * from a copy takes ≈0.5 s in memory (`loadDataDir`) and a file copy for a directory. Tests open dozens; the
 * schema engine opens a main and a shadow database per diff.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";

let template: Promise<Blob> | undefined;

async function makeTemplate(keep: boolean): Promise<{ tarball: Blob; pglite: PGlite | undefined }> {
  const pglite = await PGlite.create();
  try {
    const tarball = await pglite.dumpDataDir("none");
    return { tarball, pglite: keep ? pglite : undefined };
  } finally {
    if (!keep) await pglite.close();
  }
}

/** The data directory initdb makes, as PGlite's `dumpDataDir()` tarball (uncompressed), made once per process. */
export function emptyClusterTemplate(): Promise<Blob> {
  template ??= makeTemplate(false).then((made) => made.tarball);
  return template;
}

/**
 * An empty in-memory PGlite without running initdb, except for the first one in the process: that one makes the
 * template and is handed over itself (so a process that opens one database pays nothing extra).
 */
export async function openTemplatePGlite(): Promise<PGlite> {
  if (template) return PGlite.create({ loadDataDir: await template });
  const made = makeTemplate(true);
  template = made.then((m) => m.tarball);
  return (await made).pglite!;
}

interface Entry {
  /** Relative path, "/"-separated. */
  name: string;
  type: "file" | "directory";
  mode: number;
  data: Uint8Array;
}

let cleanFiles: Promise<Entry[]> | undefined;

/**
 * The files of a template directory that PostgreSQL shut down cleanly, made once per process and kept in memory.
 * A dump is taken from a running cluster, so a directory written from it starts with crash recovery, which with
 * fsync on (see embedded.ts) fsyncs every file first: ~1,000 fsyncs, tens of seconds on a busy disk. Copies of a
 * cleanly shut down directory open without that. (Kept in memory rather than as a directory: test workers are not
 * always given the chance to remove one at exit.)
 */
function cleanClusterFiles(): Promise<Entry[]> {
  cleanFiles ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mm-template-"));
    try {
      if (template) {
        // Recovery with PGlite's default fsync=off, then a clean shutdown.
        await writeEntries([...tarEntries(new Uint8Array(await (await template).arrayBuffer()))], dir);
        await (await PGlite.create(dir)).close();
      } else {
        // Nothing made yet: one initdb, on disk, gives both the clean directory and the dump.
        const made = (async () => {
          const pglite = await PGlite.create(dir);
          try {
            return await pglite.dumpDataDir("none");
          } finally {
            await pglite.close();
          }
        })();
        template = made;
        await made;
      }
      return await readEntries(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return cleanFiles;
}

/** Makes the directory template now (tests call it in beforeAll, so no test pays for initdb). */
export async function prepareClusterTemplate(): Promise<void> {
  await cleanClusterFiles();
}

/** Writes the template into `dir` (created if absent), so that PGlite in any process opens it without initdb. */
export async function writeClusterTemplate(dir: string): Promise<void> {
  await writeEntries(await cleanClusterFiles(), dir);
}

async function readEntries(root: string, prefix = ""): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const item of await readdir(path.join(root, prefix), { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${item.name}` : item.name;
    const full = path.join(root, name);
    const { mode } = await stat(full);
    if (item.isDirectory()) entries.push({ name, type: "directory", mode: mode & 0o777, data: new Uint8Array() }, ...(await readEntries(root, name)));
    else if (item.isFile()) entries.push({ name, type: "file", mode: mode & 0o777, data: await readFile(full) });
  }
  return entries;
}

async function writeEntries(entries: Entry[], dir: string): Promise<void> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  for (const entry of entries) {
    const target = path.resolve(root, `.${path.posix.sep}${entry.name}`);
    if (target !== root && !target.startsWith(root + path.sep)) throw new Error(`template entry escapes ${root}: ${entry.name}`);
    if (entry.type === "directory") await mkdir(target, { recursive: true, mode: entry.mode });
    else {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, entry.data, { mode: entry.mode });
    }
  }
}

/** Reads the ustar archives PGlite writes: regular files and directories only; anything else is refused. */
function* tarEntries(tar: Uint8Array): Generator<Entry> {
  const decoder = new TextDecoder();
  const field = (header: Uint8Array, offset: number, length: number) => {
    const bytes = header.subarray(offset, offset + length);
    const end = bytes.indexOf(0);
    return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
  };
  const octal = (text: string) => (text.trim() === "" ? 0 : Number.parseInt(text.trim(), 8));
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) return; // end of archive
    const prefix = field(header, 345, 155);
    const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const size = octal(field(header, 124, 12));
    const flag = String.fromCharCode(header[156] ?? 0);
    const mode = octal(field(header, 100, 8)) & 0o777;
    const data = tar.subarray(offset + 512, offset + 512 + size);
    if (flag === "5") yield { name, type: "directory", mode: mode || 0o700, data };
    else if (flag === "0" || flag === "\0") yield { name, type: "file", mode: mode || 0o600, data };
    else throw new Error(`Unsupported entry type '${flag}' for ${name} in PGlite's data directory dump`);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
}
