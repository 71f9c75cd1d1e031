//! fail: explains the problem on stderr and exits with code 3; Kiln answers guest_error.
use std::process;

fn main() {
    eprintln!("fail: the order service is unreachable");
    process::exit(3);
}
