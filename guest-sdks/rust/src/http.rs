use crate::error::{Error, Result};
use crate::sys;

/// An HTTP request that came through the function's HTTP trigger
/// (`/fn/{service}/{function}/{path…}`).
///
/// Under the invoke trigger (`POST …/invoke`) an HTTP handler still runs: it sees method
/// `POST`, path `/`, no query and no headers, and the event as body.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// A request built by hand, e.g. in unit tests of a handler.
    pub fn new(method: &str, path_and_query: &str, body: impl Into<Vec<u8>>) -> Self {
        let (path, query) = match path_and_query.find('?') {
            Some(i) => (&path_and_query[..i], &path_and_query[i + 1..]),
            None => (path_and_query, ""),
        };
        Request {
            method: method.to_string(),
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            query: query.to_string(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header to a hand-built request (names are stored lower-case, as the host does).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    /// Reads the current invocation's request from the host; `body` is the payload.
    pub(crate) fn from_host(body: Vec<u8>) -> Self {
        let field =
            |id: i32| sys::read_string(|buf, cap| unsafe { sys::request_get(id, buf, cap) });
        let method = match field(0) {
            Some(m) => m,
            None => {
                // Not the HTTP trigger: present the event as a POST to "/".
                return Request::new("POST", "/", body);
            }
        };
        let path = field(1).unwrap_or_else(|| "/".into());
        let query = field(2).unwrap_or_default();
        let raw = sys::read_value(|buf, cap| unsafe { sys::request_headers(buf, cap) })
            .unwrap_or_default();
        Request {
            method,
            path,
            query,
            headers: decode_headers(&raw),
            body,
        }
    }

    /// The method, upper-case as sent (`GET`, `POST`, …).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path after `/fn/{service}/{function}`, starting with `/`, still percent-encoded.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string without `?`; empty when there is none.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The first value of query parameter `name`, percent-decoded (`+` is a space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_params()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Every query parameter in order, percent-decoded.
    pub fn query_params(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.find('=') {
                Some(i) => (form_decode(&pair[..i]), form_decode(&pair[i + 1..])),
                None => (form_decode(pair), String::new()),
            })
            .collect()
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` in arrival order (case-insensitive).
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers as `(lower-case name, value)`, grouped by name.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as UTF-8 text; an error (→ `guest_error`) when it is not valid UTF-8.
    pub fn text(&self) -> Result<&str> {
        Ok(std::str::from_utf8(&self.body)?)
    }

    /// Takes the body out of the request.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

/// Decodes `request_headers`' `name NUL value NUL …` list.
fn decode_headers(raw: &[u8]) -> Vec<(String, String)> {
    let mut fields = raw
        .split(|&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut headers = Vec::new();
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        headers.push((name, value));
    }
    headers
}

/// Percent-decoding for `application/x-www-form-urlencoded` query strings.
fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The answer to an HTTP request: status (default 200), headers, body.
///
/// Under the invoke trigger only the body is used, like Lambda's `Invoke` versus a function
/// URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// A response with this status, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Starts a response: `Response::builder().status(201).header("x-a", "b").body("hi")`.
    pub fn builder() -> ResponseBuilder {
        ResponseBuilder {
            response: Response::new(200),
        }
    }

    /// `200` with a `text/plain; charset=utf-8` body.
    pub fn text(body: impl Into<String>) -> Self {
        Response::builder()
            .header("content-type", "text/plain; charset=utf-8")
            .body(body.into())
    }

    /// `200` with an `application/json` body (already serialised, e.g. with [`crate::json`]).
    pub fn json(body: impl Into<String>) -> Self {
        Response::builder()
            .header("content-type", "application/json")
            .body(body.into())
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers, in the order they were added.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Hands status and headers to the host and returns the body. A status outside 200–599
    /// or a header the host refuses (reserved names such as `content-length` or `x-kiln-*`,
    /// control characters, over 100 fields or 8 KiB) is an error naming it.
    pub(crate) fn send(self) -> Result<Vec<u8>> {
        if self.status != 200 && unsafe { sys::response_set_status(self.status as i32) } < 0 {
            return Err(Error::new(format!(
                "invalid HTTP status {} (must be 200-599)",
                self.status
            )));
        }
        for (name, value) in &self.headers {
            let r = unsafe {
                sys::response_header_add(
                    name.as_ptr(),
                    name.len() as i32,
                    value.as_ptr(),
                    value.len() as i32,
                )
            };
            if r < 0 {
                return Err(Error::new(format!(
                    "response header {:?} was refused: reserved name, invalid characters or too many headers",
                    name
                )));
            }
        }
        Ok(self.body)
    }
}

/// Builds a [`Response`]; see [`Response::builder`].
#[derive(Debug)]
pub struct ResponseBuilder {
    response: Response,
}

impl ResponseBuilder {
    /// Sets the status (200–599).
    pub fn status(mut self, status: u16) -> Self {
        self.response.status = status;
        self
    }

    /// Adds a header; adding a name twice sends both values.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.response
            .headers
            .push((name.to_string(), value.to_string()));
        self
    }

    /// Finishes the response with this body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.response.body = body.into();
        self.response
    }

    /// Finishes the response with an empty body.
    pub fn empty(self) -> Response {
        self.response
    }
}

/// What an HTTP handler may return: a [`Response`], text (`200`, `text/plain`), bytes
/// (`200`, `application/octet-stream`), or a `Result` of any of these.
pub trait IntoResponse {
    /// Converts into a response, or the error that ends the invocation.
    fn into_response(self) -> Result<Response>;
}

impl IntoResponse for Response {
    fn into_response(self) -> Result<Response> {
        Ok(self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Result<Response> {
        Ok(Response::text(self))
    }
}

impl IntoResponse for &str {
    fn into_response(self) -> Result<Response> {
        Ok(Response::text(self))
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Result<Response> {
        Ok(Response::builder().body(self))
    }
}

impl<T: IntoResponse, E: Into<Error>> IntoResponse for std::result::Result<T, E> {
    fn into_response(self) -> Result<Response> {
        self.map_err(Into::into)?.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_form_decoded() {
        let r = Request::new("GET", "/a?name=K%C3%A9ln+host&x&empty=&bad=%zz", "");
        assert_eq!(r.path(), "/a");
        assert_eq!(r.query_param("name").as_deref(), Some("Kéln host"));
        assert_eq!(r.query_param("x").as_deref(), Some(""));
        assert_eq!(r.query_param("empty").as_deref(), Some(""));
        assert_eq!(r.query_param("bad").as_deref(), Some("%zz"));
        assert_eq!(r.query_param("missing"), None);
    }

    #[test]
    fn header_list_decodes_and_matches_case_insensitively() {
        let raw = b"accept\0text/plain\0x-a\0one\0x-a\0two\0";
        let r = Request {
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            headers: decode_headers(raw),
            body: Vec::new(),
        };
        assert_eq!(r.header("Accept"), Some("text/plain"));
        assert_eq!(r.header_all("X-A").collect::<Vec<_>>(), vec!["one", "two"]);
        assert_eq!(r.headers().len(), 3);
    }

    #[test]
    fn results_convert_into_responses() {
        let ok: std::result::Result<&str, Error> = Ok("hi");
        assert_eq!(
            ok.into_response().unwrap().header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        let bad: std::result::Result<Response, std::num::ParseIntError> =
            "x".parse::<u8>().map(|_| Response::new(200));
        assert!(bad
            .into_response()
            .unwrap_err()
            .message()
            .contains("invalid digit"));
    }
}
