//! logs: each stderr line is one line in the function's logs; stdout is the response.
use std::env;

fn main() {
    let method = env::var("REQUEST_METHOD").unwrap_or_default();
    let path = env::var("PATH_INFO").unwrap_or_default();
    eprintln!("handling {} {}", method, path);
    eprintln!("request id {}", env::var("KILN_REQUEST_ID").unwrap_or_default());
    print!("Status: 202 Accepted\nContent-Type: text/plain\n\nlogged 2 lines\n");
}
