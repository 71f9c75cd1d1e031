//! The raw `kiln` host functions of ABI v1 (wasm-abi/ABI.md, section 4) and the buffer
//! convention around them. Everything public in the crate is built on these.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "kiln")]
extern "C" {
    pub fn context_get(field: i32, buf: *mut u8, cap: i32) -> i32;
    pub fn deadline_ms() -> i64;
    pub fn request_get(field: i32, buf: *mut u8, cap: i32) -> i32;
    pub fn request_header(
        name: *const u8,
        name_len: i32,
        index: i32,
        buf: *mut u8,
        cap: i32,
    ) -> i32;
    pub fn request_headers(buf: *mut u8, cap: i32) -> i32;
    pub fn response_set_status(status: i32) -> i32;
    pub fn response_header_add(
        name: *const u8,
        name_len: i32,
        value: *const u8,
        value_len: i32,
    ) -> i32;
    pub fn log(level: i32, msg: *const u8, len: i32) -> i32;
    pub fn config_get(key: *const u8, key_len: i32, buf: *mut u8, cap: i32) -> i32;
    pub fn fail(msg: *const u8, len: i32) -> i32;
    pub fn clock_unix_ns() -> i64;
    pub fn clock_monotonic_ns() -> i64;
    pub fn random_fill(buf: *mut u8, len: i32) -> i32;
    pub fn http_send(
        method: *const u8,
        method_len: i32,
        url: *const u8,
        url_len: i32,
        headers: *const u8,
        headers_len: i32,
        body: *const u8,
        body_len: i32,
    ) -> i32;
    pub fn http_response_status(handle: i32) -> i32;
    pub fn http_response_headers(handle: i32, buf: *mut u8, cap: i32) -> i32;
    pub fn http_response_body(handle: i32, buf: *mut u8, cap: i32) -> i32;
}

/// Outside Wasm (`cargo test` on the build machine) there is no host: every call behaves as
/// it does outside an invocation (ABI.md, "Calls outside an invocation").
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc)]
mod native {
    pub unsafe fn context_get(_: i32, _: *mut u8, _: i32) -> i32 {
        super::ERR_NOT_FOUND
    }
    pub unsafe fn deadline_ms() -> i64 {
        0
    }
    pub unsafe fn request_get(_: i32, _: *mut u8, _: i32) -> i32 {
        super::ERR_NOT_FOUND
    }
    pub unsafe fn request_header(_: *const u8, _: i32, _: i32, _: *mut u8, _: i32) -> i32 {
        super::ERR_NOT_FOUND
    }
    pub unsafe fn request_headers(_: *mut u8, _: i32) -> i32 {
        super::ERR_NOT_FOUND
    }
    pub unsafe fn response_set_status(_: i32) -> i32 {
        super::ERR_INVALID
    }
    pub unsafe fn response_header_add(_: *const u8, _: i32, _: *const u8, _: i32) -> i32 {
        super::ERR_INVALID
    }
    pub unsafe fn log(_: i32, _: *const u8, _: i32) -> i32 {
        super::ERR_INVALID
    }
    pub unsafe fn config_get(_: *const u8, _: i32, _: *mut u8, _: i32) -> i32 {
        super::ERR_NOT_FOUND
    }
    pub unsafe fn fail(_: *const u8, _: i32) -> i32 {
        super::ERR_INVALID
    }
    pub unsafe fn clock_unix_ns() -> i64 {
        0
    }
    pub unsafe fn clock_monotonic_ns() -> i64 {
        0
    }
    pub unsafe fn random_fill(_: *mut u8, _: i32) -> i32 {
        super::ERR_INVALID
    }
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn http_send(
        _: *const u8,
        _: i32,
        _: *const u8,
        _: i32,
        _: *const u8,
        _: i32,
        _: *const u8,
        _: i32,
    ) -> i32 {
        super::ERR_UNAVAILABLE
    }
    pub unsafe fn http_response_status(_: i32) -> i32 {
        super::ERR_UNAVAILABLE
    }
    pub unsafe fn http_response_headers(_: i32, _: *mut u8, _: i32) -> i32 {
        super::ERR_UNAVAILABLE
    }
    pub unsafe fn http_response_body(_: i32, _: *mut u8, _: i32) -> i32 {
        super::ERR_UNAVAILABLE
    }
}
#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

/// The item does not exist (missing header or config key, HTTP metadata outside HTTP).
pub const ERR_NOT_FOUND: i32 = -1;
/// An argument was out of range or malformed.
pub const ERR_INVALID: i32 = -2;
/// A limit refused the call (ABI.md 3).
pub const ERR_LIMIT: i32 = -3;
/// The host cannot serve the call now (outside an invocation).
pub const ERR_UNAVAILABLE: i32 = -5;

/// Reads a value with the buffer convention (ABI.md 3): try a stack buffer, and when the host
/// says the value is longer, call again with a buffer of exactly that size. `None` for a
/// negative return (no value).
pub fn read_value(mut call: impl FnMut(*mut u8, i32) -> i32) -> Option<Vec<u8>> {
    let mut small = [0u8; 256];
    let n = call(small.as_mut_ptr(), small.len() as i32);
    if n < 0 {
        return None;
    }
    let mut len = n as usize;
    if len <= small.len() {
        return Some(small[..len].to_vec());
    }
    loop {
        let mut buf = vec![0u8; len];
        let n = call(buf.as_mut_ptr(), len as i32);
        if n < 0 {
            return None;
        }
        if n as usize <= len {
            buf.truncate(n as usize);
            return Some(buf);
        }
        len = n as usize; // the value changed between calls: try again with the new size
    }
}

/// [`read_value`] decoded as UTF-8 (the host only hands out UTF-8; anything else is replaced).
pub fn read_string(call: impl FnMut(*mut u8, i32) -> i32) -> Option<String> {
    read_value(call).map(|bytes| match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}
