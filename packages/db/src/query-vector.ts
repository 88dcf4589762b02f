/**
 * A query vector as a statement parameter (pgvector's `vector`), written the way each database reads it cheapest.
 *
 * On PostgreSQL it is bound in pgvector's binary form (`vector_recv`: int16 dimensions, int16 0, then big-endian
 * float4s): 1 KB for 256 values, where the text form is 5 KB of decimals that the service writes (about 30 µs for
 * 256 values, docs/performance.md) and PostgreSQL parses back with `strtof`. The binary form must give the very
 * float4s the text would, so it is used only when every value rounds to float4 the way `strtof` rounds its shortest
 * decimal: always, except a value exactly halfway between two float4s (its decimal need not be, and `strtof` then
 * rounds toward whichever side it lies on) and one beyond float4's range (the text is refused as out of range, a
 * 400; the binary form would be refused in other words). Such a vector goes as text, as every vector did before.
 * The embedded database (PGlite) always gets the text: its adapter does not send binary parameters.
 */
export class QueryVector {
  readonly values: readonly number[];
  #text: string | undefined;
  #binary: Buffer | null | undefined;

  /** `values` must be finite numbers (the input schemas check them). */
  constructor(values: readonly number[]) {
    this.values = values;
  }

  /** pgvector's text form (`[1,-0.5,…]`): JSON writes exactly that for finite numbers, in half `join(",")`'s CPU. */
  text(): string {
    return (this.#text ??= JSON.stringify(this.values));
  }

  /** pgvector's binary form, or null when it could differ from the text's (see above). */
  binary(): Buffer | null {
    if (this.#binary === undefined) this.#binary = binaryForm(this.values);
    return this.#binary;
  }
}

const scratch = new Float32Array(1);
const scratchBits = new Int32Array(scratch.buffer);

/** Whether `x` lies exactly halfway between its float4 `f` (≠ x) and the float4 on x's other side. */
function halfway(x: number, f: number): boolean {
  scratch[0] = f;
  // One step of the float4's bits away from zero is the next float4 in magnitude, toward zero the previous.
  scratchBits[0] = scratchBits[0]! + (Math.abs(x) > Math.abs(f) ? 1 : -1);
  // Two neighbouring float4s sum and halve exactly in float8.
  return (f + scratch[0]) / 2 === x;
}

function binaryForm(values: readonly number[]): Buffer | null {
  const buffer = Buffer.allocUnsafe(4 + 4 * values.length);
  buffer.writeInt16BE(values.length, 0);
  buffer.writeInt16BE(0, 2);
  for (let i = 0; i < values.length; i += 1) {
    const x = values[i]!;
    const f = Math.fround(x);
    if (f !== x && (!Number.isFinite(f) || halfway(x, f))) return null;
    // JSON writes -0 as 0 (a value too small for a float4 keeps its sign in both forms).
    buffer.writeFloatBE(x === 0 ? 0 : f, 4 + 4 * i);
  }
  return buffer;
}
