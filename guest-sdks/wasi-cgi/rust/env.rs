//! env: answers with every environment variable (the CGI variables plus the function's config),
//! one NAME=value per line, sorted, and its program name (argv[0]) first.
use std::env;

fn main() {
    let args: Vec<String> = env::args().collect();
    let mut vars: Vec<(String, String)> = env::vars().collect();
    vars.sort();
    let mut out = String::from("Content-Type: text/plain\n\n");
    out.push_str(&format!(
        "argv[0]={} argc={}\n",
        args.first().map(String::as_str).unwrap_or(""),
        args.len()
    ));
    for (name, value) in vars {
        out.push_str(&format!("{}={}\n", name, value));
    }
    print!("{}", out);
}
