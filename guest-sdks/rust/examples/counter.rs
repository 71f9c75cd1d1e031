//! counter: a page-view counter in the service's key-value store (kiln::kv, ABI.md 4.12).
//!   GET /{page}     adds one to the key `views:/{page}`: {"page":"/{page}","views":N}
//!   DELETE /{page}  removes the key: {"page":"/{page}","deleted":true}, false when there was none
//!   GET /           {"pages":P,"views":V}: how many pages have counters and their sum (lists the
//!                   keys with the prefix `views:` page by page)
//! Other methods get 405. A failing store call is a guest error naming the SDK's error, e.g.
//! `counter: key-value limit reached (-3)` for a path over the 256-byte key limit.
use kiln::json::Value;
use kiln::kv::{self, KvError};
use kiln::{Request, Response};

fn handle(req: Request) -> kiln::Result<Response> {
    let page = req.path();
    let key = format!("views:{}", page);
    let body = match (req.method(), page) {
        ("GET", "/") => {
            let (mut pages, mut views) = (0i64, 0i64);
            for key in kv::list("views:").map_err(failed)? {
                // None: expired or deleted since the listing.
                if let Some(value) = kv::get(&key).map_err(failed)? {
                    pages += 1;
                    views += std::str::from_utf8(&value)
                        .ok()
                        .and_then(|v| v.parse::<i64>().ok())
                        .unwrap_or(0);
                }
            }
            Value::object([("pages", Value::from(pages)), ("views", Value::from(views))])
        }
        ("GET", _) => {
            let views = kv::increment(&key, 1).map_err(failed)?;
            Value::object([("page", Value::from(page)), ("views", Value::from(views))])
        }
        ("DELETE", _) => {
            let deleted = kv::delete(&key).map_err(failed)?;
            Value::object([("page", Value::from(page)), ("deleted", Value::from(deleted))])
        }
        _ => {
            return Ok(Response::builder()
                .status(405)
                .header("allow", "GET, DELETE")
                .body("only GET and DELETE\n"))
        }
    };
    Ok(Response::json(body.to_string()))
}

fn failed(e: KvError) -> kiln::Error {
    kiln::Error::new(format!("counter: {}", e))
}

kiln::http_handler!(handle);
