// Test fixture: allocates until the memory cap; "ok" answers at once.
export function handler(event) {
  if (event === "ok") return "still serving";
  const keep = [];
  for (;;) keep.push(new Uint8Array(1 << 20));
}
