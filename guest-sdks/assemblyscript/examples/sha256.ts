// sha256: the SHA-256 of the event (or HTTP body) as 64 lower-case hex digits. Compute-heavy
// on purpose: no host calls, a tight loop over the input.
import { Event, Response, event } from "kiln-sdk/assembly";
export * from "kiln-sdk/assembly/exports";

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const w = new StaticArray<u32>(64);
const h = new StaticArray<u32>(8);

function compress(p: usize): void {
  for (let i = 0; i < 16; i++) w[i] = bswap<u32>(load<u32>(p + (<usize>i << 2)));
  for (let i = 16; i < 64; i++) {
    let s0 = rotr<u32>(w[i - 15], 7) ^ rotr<u32>(w[i - 15], 18) ^ (w[i - 15] >>> 3);
    let s1 = rotr<u32>(w[i - 2], 17) ^ rotr<u32>(w[i - 2], 19) ^ (w[i - 2] >>> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (let i = 0; i < 64; i++) {
    let t1 = hh + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    let t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

function sha256(data: Uint8Array): Uint8Array {
  h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372; h[3] = 0xa54ff53a;
  h[4] = 0x510e527f; h[5] = 0x9b05688c; h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19;
  let len = data.length;
  let full = len & ~63;
  for (let off = 0; off < full; off += 64) compress(data.dataStart + <usize>off);
  let tail = new Uint8Array(128);
  let rest = len - full;
  for (let i = 0; i < rest; i++) tail[i] = data[full + i];
  tail[rest] = 0x80;
  let tailLen = rest < 56 ? 64 : 128;
  let bits = <u64>len * 8;
  for (let i = 0; i < 8; i++) tail[tailLen - 1 - i] = <u8>(bits >>> (8 * i));
  compress(tail.dataStart);
  if (tailLen == 128) compress(tail.dataStart + 64);
  let out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) store<u32>(out.dataStart + (<usize>i << 2), bswap<u32>(h[i]));
  return out;
}

const HEX = "0123456789abcdef";

event((e: Event): Response => {
  let digest = sha256(e.bytes);
  let hex = "";
  for (let i = 0; i < 32; i++) hex += HEX.charAt(digest[i] >> 4) + HEX.charAt(digest[i] & 15);
  return Response.text(hex);
});
