// Test fixture: spins forever (fuel or the deadline must end it); "ok" answers at once.
export function handler(event) {
  if (event === "ok") return "still serving";
  let n = 0;
  for (;;) n++;
}
