//! Outbound HTTP (wasm-abi/ABI.md 4.13): requests from the function to other services, allowed by
//! the function's `allowedOutboundHosts` setting (`PATCH …/functions/{f}` with
//! `{"allowedOutboundHosts": ["https://api.example.com"]}`; nothing is allowed without it).
//!
//! ```ignore
//! let res = kiln::outbound::get("https://api.example.com/items")?;
//! let items = res.json()?;
//! ```
//! One call sends the request and reads the whole response; redirects come back as they are.

use crate::sys;
use crate::{json, Error};
use std::fmt;

/// Why a request failed: the host's error code (ABI.md 4.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    /// `-2`: a malformed method or header, or a reserved header (`host`, `content-length`, …).
    Invalid,
    /// `-3`: the request body or header block is over its cap.
    Limit,
    /// `-5`: no outbound HTTP here (outside an invocation, or not on Kiln).
    Unavailable,
    /// `-6`: `allowedOutboundHosts` does not allow the URL, or it is a private address.
    Denied,
    /// `-7`: not an absolute `http`/`https` URL the host can send.
    InvalidUrl,
    /// `-8`: the invocation made all the requests it may.
    TooManyRequests,
    /// `-9`: the response passed the invocation's response cap.
    ResponseTooLarge,
    /// `-10`: the per-call timeout passed.
    Timeout,
    /// `-11`: the name did not resolve, the connection was refused, or TLS failed.
    ConnectFailed,
    /// `-12`: the exchange broke after connecting, or the response was not HTTP/1.x.
    Io,
    /// Any other negative code (a newer host).
    Other(i32),
}

impl FetchError {
    fn from_code(code: i32) -> FetchError {
        match code {
            -2 => FetchError::Invalid,
            -3 => FetchError::Limit,
            -5 => FetchError::Unavailable,
            -6 => FetchError::Denied,
            -7 => FetchError::InvalidUrl,
            -8 => FetchError::TooManyRequests,
            -9 => FetchError::ResponseTooLarge,
            -10 => FetchError::Timeout,
            -11 => FetchError::ConnectFailed,
            -12 => FetchError::Io,
            other => FetchError::Other(other),
        }
    }

    /// The host's error code.
    pub fn code(&self) -> i32 {
        match self {
            FetchError::Invalid => -2,
            FetchError::Limit => -3,
            FetchError::Unavailable => -5,
            FetchError::Denied => -6,
            FetchError::InvalidUrl => -7,
            FetchError::TooManyRequests => -8,
            FetchError::ResponseTooLarge => -9,
            FetchError::Timeout => -10,
            FetchError::ConnectFailed => -11,
            FetchError::Io => -12,
            FetchError::Other(c) => *c,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            FetchError::Invalid => "malformed method or header",
            FetchError::Limit => "request over its cap",
            FetchError::Unavailable => "outbound HTTP unavailable",
            FetchError::Denied => "denied by allowedOutboundHosts",
            FetchError::InvalidUrl => "invalid URL",
            FetchError::TooManyRequests => "too many outbound requests",
            FetchError::ResponseTooLarge => "response too large",
            FetchError::Timeout => "outbound request timed out",
            FetchError::ConnectFailed => "cannot connect",
            FetchError::Io => "the exchange failed",
            FetchError::Other(_) => "outbound request failed",
        };
        write!(f, "{} ({})", what, self.code())
    }
}

impl std::error::Error for FetchError {}

/// A request to send: method, absolute URL, headers and body.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// A request with this method (`GET`, `POST`, …) to this absolute URL, without a body.
    pub fn new(method: &str, url: &str) -> Request {
        Request {
            method: method.to_string(),
            url: url.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header (sent as given; names are case-insensitive).
    pub fn with_header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Sends it and reads the whole response.
    pub fn send(&self) -> Result<Response, FetchError> {
        let headers = encode_headers(&self.headers);
        let handle = unsafe {
            sys::http_send(
                self.method.as_ptr(),
                self.method.len() as i32,
                self.url.as_ptr(),
                self.url.len() as i32,
                headers.as_ptr(),
                headers.len() as i32,
                self.body.as_ptr(),
                self.body.len() as i32,
            )
        };
        if handle < 0 {
            return Err(FetchError::from_code(handle));
        }
        let status = unsafe { sys::http_response_status(handle) };
        if status < 0 {
            return Err(FetchError::from_code(status));
        }
        let headers = sys::read_value(|buf, cap| unsafe {
            sys::http_response_headers(handle, buf, cap)
        })
        .unwrap_or_default();
        let body = sys::read_value(|buf, cap| unsafe { sys::http_response_body(handle, buf, cap) })
            .unwrap_or_default();
        Ok(Response {
            status: status as u16,
            headers: decode_headers(&headers),
            body,
        })
    }
}

/// A response: status, header fields (names lower-case, in arrival order) and the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status, e.g. 200 (a 3xx is returned, never followed).
    pub status: u16,
    /// Header fields, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == lower)
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, Error> {
        Ok(std::str::from_utf8(&self.body)?)
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<json::Value, Error> {
        json::parse(&self.body)
    }
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, FetchError> {
    Request::new("GET", url).send()
}

/// `POST url` with `body` and its `content-type`.
pub fn post(url: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Result<Response, FetchError> {
    Request::new("POST", url)
        .with_header("content-type", content_type)
        .with_body(body)
        .send()
}

/// The ABI's header block: `name NUL value NUL` for each header.
fn encode_headers(headers: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

fn decode_headers(block: &[u8]) -> Vec<(String, String)> {
    let mut fields = block.split(|b| *b == 0);
    let mut out = Vec::new();
    while let (Some(n), Some(v)) = (fields.next(), fields.next()) {
        if n.is_empty() && v.is_empty() {
            break;
        }
        out.push((
            String::from_utf8_lossy(n).into_owned(),
            String::from_utf8_lossy(v).into_owned(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_through_the_abi_block() {
        let h = vec![
            ("accept".to_string(), "application/json".to_string()),
            ("x-a".to_string(), "".to_string()),
        ];
        assert_eq!(decode_headers(&encode_headers(&h)), h);
        assert!(decode_headers(&[]).is_empty());
    }

    #[test]
    fn outside_kiln_requests_are_unavailable() {
        assert_eq!(get("http://example.com/").unwrap_err(), FetchError::Unavailable);
        assert_eq!(FetchError::Denied.code(), -6);
        assert_eq!(FetchError::from_code(-11), FetchError::ConnectFailed);
    }
}
