//! hello: the smallest CGI response — a header block, a blank line, then the body.
use std::env;

fn main() {
    let name = env::var("QUERY_STRING").unwrap_or_default();
    let name = if name.is_empty() { "world".to_string() } else { name };
    print!("Content-Type: text/plain; charset=utf-8\n");
    print!("X-Hello: rust\n");
    print!("\n");
    println!("Hello from Rust, {}!", name);
}
