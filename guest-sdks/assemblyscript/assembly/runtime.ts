// Runtime hooks the SDK's asconfig.json plugs in (`"use": ["abort=..."]`).
import * as host from "./host";

/**
 * `throw`, a failed assertion or an out-of-bounds array access ends here: the message and
 * where it happened go to the function's logs (level error), then the invocation traps
 * (guest_trap), like a Rust panic.
 */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = (message !== null ? message : "abort") +
    (fileName !== null ? " at " + fileName + ":" + line.toString() + ":" + column.toString() : "");
  let m = String.UTF8.encode(text);
  host.log(3, changetype<usize>(m), m.byteLength);
  unreachable();
}
