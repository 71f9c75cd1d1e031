//! hello: an HTTP function. `GET /fn/{service}/{function}/greet?name=Kiln` answers
//! `Hello, Kiln! (GET /greet)` (the name can also come in an `x-name` header); other methods
//! get 405 with an `allow` header.
use kiln::{Request, Response};

fn handle(req: Request) -> kiln::Result<Response> {
    if req.method() != "GET" && req.method() != "HEAD" {
        return Ok(Response::builder()
            .status(405)
            .header("allow", "GET, HEAD")
            .body("only GET and HEAD\n"));
    }
    let name = req
        .query_param("name")
        .or_else(|| req.header("x-name").map(String::from))
        .unwrap_or_else(|| "world".into());
    kiln::info!("hello {} from {}", name, req.path());
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-sdk", "rust")
        .body(format!(
            "Hello, {}! ({} {})\n",
            name,
            req.method(),
            req.path()
        )))
}

kiln::http_handler!(handle);
