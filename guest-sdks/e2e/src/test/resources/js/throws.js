// Test fixture: a thrown exception, from a named function so the stack names it.
function checkPayment(event) {
  throw new TypeError(`payment ${event} declined`);
}
export function handler(event, context) {
  console.log("about to fail");
  return checkPayment(event);
}
