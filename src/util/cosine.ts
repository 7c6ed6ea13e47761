/** Cosine distance (0–2); 1 when either vector is zero, which has no direction. */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 1 : 1 - dot / Math.sqrt(na * nb);
}

/**
 * The dot product of `q` with the row of `rows` that starts at `at`, in four running sums with the lengths read
 * once: no chain of dependent additions (a sample of 256 x 612 dimensions: 0.26 ms one sum at a time, 0.21 so).
 */
export function dotAt(rows: Float32Array, at: number, q: Float32Array): number {
  const dim = q.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    a += rows[at + j]! * q[j]!;
    b += rows[at + j + 1]! * q[j + 1]!;
    c += rows[at + j + 2]! * q[j + 2]!;
    d += rows[at + j + 3]! * q[j + 3]!;
  }
  for (; j < dim; j++) a += rows[at + j]! * q[j]!;
  return a + b + c + d;
}
