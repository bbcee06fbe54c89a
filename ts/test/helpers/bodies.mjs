// Deterministic bodies shared by the traffic server and client, so neither has to ship bytes to the other.

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';

/** N bytes of printable ASCII (valid UTF-8 at every cut, so a truncated body is still utf8). */
export function asciiBody(n, seed = 0) {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = ALPHABET.charCodeAt((i * 7 + seed + (i >> 6)) % ALPHABET.length);
  return out;
}

/** N bytes that are never valid UTF-8 (0xff cannot appear in UTF-8). */
export function binaryBody(n) {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = i % 3 === 0 ? 0xff : (i * 31) & 0xff;
  return out;
}
