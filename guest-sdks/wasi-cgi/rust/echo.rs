//! echo: copies the request body (stdin) to the response body (stdout), keeping its content type.
use std::env;
use std::io::{self, Read, Write};

fn main() -> io::Result<()> {
    let content_type = env::var("CONTENT_TYPE")
        .ok()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let mut body = Vec::new();
    io::stdin().read_to_end(&mut body)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    write!(out, "Content-Type: {}\n\n", content_type)?;
    out.write_all(&body)?;
    out.flush()
}
