// Test fixture: unbounded recursion is a JS error (QuickJS's stack check), not a trap.
function down(n) {
  return down(n + 1) + 1;
}
export function handler(event) {
  if (event === "ok") return "still serving";
  return down(0);
}
