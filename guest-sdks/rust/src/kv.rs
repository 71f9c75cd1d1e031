//! The service's key-value store (wasm-abi/ABI.md 4.12): one store per service, shared by all its
//! functions and their invocations, kept by the host across invocations and restarts.
//!
//! ```ignore
//! let views = kiln::kv::increment("views:/home", 1)?;
//! kiln::kv::set_with_ttl("session:42", b"ada", 60_000)?;
//! let name = kiln::kv::get("session:42")?; // Some(b"ada".to_vec()) for a minute
//! ```
//! Keys are 1–256 bytes of text without control characters; values are any bytes up to 1 MiB.
//! A missing (or expired) key is `None` / `false`, never an error.

use std::fmt;

/// Why a key-value call failed: the host's error code (ABI.md 3 and 4.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvError {
    /// `-2`: an empty key, control characters in it, a negative TTL, or an increment of a value
    /// that is not an integer (or that would overflow).
    Invalid,
    /// `-3`: a key over 256 bytes, a value over 1 MiB, or the service's store is full.
    Limit,
    /// `-4`: `compare_and_swap` found another value.
    Conflict,
    /// `-5`: no store here (outside an invocation, e.g. in `init`, or not on Kiln), or the store
    /// failed; nothing changed.
    Unavailable,
    /// Any other negative code (a newer host).
    Other(i32),
}

impl KvError {
    fn from_code(code: i32) -> KvError {
        match code {
            -2 => KvError::Invalid,
            -3 => KvError::Limit,
            -4 => KvError::Conflict,
            -5 => KvError::Unavailable,
            other => KvError::Other(other),
        }
    }

    /// The host's error code.
    pub fn code(&self) -> i32 {
        match self {
            KvError::Invalid => -2,
            KvError::Limit => -3,
            KvError::Conflict => -4,
            KvError::Unavailable => -5,
            KvError::Other(c) => *c,
        }
    }
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            KvError::Invalid => "invalid key, value or TTL",
            KvError::Limit => "key-value limit reached",
            KvError::Conflict => "the value changed",
            KvError::Unavailable => "key-value store unavailable",
            KvError::Other(_) => "key-value call failed",
        };
        write!(f, "{} ({})", what, self.code())
    }
}

impl std::error::Error for KvError {}

/// The value of `key`, or `None` when it does not exist or has expired.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, KvError> {
    let mut buf = vec![0u8; 1024];
    loop {
        let n = unsafe {
            ffi::kv_get(
                key.as_ptr(),
                key.len() as i32,
                buf.as_mut_ptr(),
                buf.len() as i32,
            )
        };
        if n == -1 {
            return Ok(None);
        }
        if n < 0 {
            return Err(KvError::from_code(n));
        }
        let n = n as usize;
        if n <= buf.len() {
            buf.truncate(n);
            return Ok(Some(buf));
        }
        // The buffer convention (ABI.md 3): nothing was written; the value is n bytes long.
        buf = vec![0u8; n];
    }
}

/// Whether `key` exists (and has not expired), without reading its value.
pub fn exists(key: &str) -> Result<bool, KvError> {
    let n = unsafe { ffi::kv_get(key.as_ptr(), key.len() as i32, std::ptr::null_mut(), 0) };
    match n {
        -1 => Ok(false),
        n if n < 0 => Err(KvError::from_code(n)),
        _ => Ok(true),
    }
}

/// Stores `value` under `key`, replacing any value; the key never expires.
pub fn set(key: &str, value: impl AsRef<[u8]>) -> Result<(), KvError> {
    set_with_ttl(key, value, 0)
}

/// Stores `value` under `key`, replacing any value; the key expires `ttl_ms` milliseconds later
/// (0: never).
pub fn set_with_ttl(key: &str, value: impl AsRef<[u8]>, ttl_ms: u64) -> Result<(), KvError> {
    let value = value.as_ref();
    if ttl_ms > i64::MAX as u64 {
        return Err(KvError::Invalid);
    }
    check(unsafe {
        ffi::kv_set(
            key.as_ptr(),
            key.len() as i32,
            value.as_ptr(),
            value.len() as i32,
            ttl_ms as i64,
        )
    })
}

/// Removes `key`; `false` when there was none.
pub fn delete(key: &str) -> Result<bool, KvError> {
    match unsafe { ffi::kv_delete(key.as_ptr(), key.len() as i32) } {
        0 => Ok(true),
        -1 => Ok(false),
        code => Err(KvError::from_code(code)),
    }
}

/// Adds `delta` to the integer stored (as decimal text) under `key`, a missing key counting as
/// 0, atomically; returns the new value. `Invalid` when the value is not an integer.
pub fn increment(key: &str, delta: i64) -> Result<i64, KvError> {
    let mut result = [0u8; 8];
    check(unsafe {
        ffi::kv_increment(key.as_ptr(), key.len() as i32, delta, result.as_mut_ptr())
    })?;
    Ok(i64::from_le_bytes(result))
}

/// Stores `value` only if the key's value is still `expected` (`None`: only if the key does not
/// exist), atomically. `Err(KvError::Conflict)` when it was something else; the stored key has
/// no expiry.
pub fn compare_and_swap(
    key: &str,
    expected: Option<&[u8]>,
    value: impl AsRef<[u8]>,
) -> Result<(), KvError> {
    let value = value.as_ref();
    let (expected_ptr, expected_len) = match expected {
        Some(e) => (e.as_ptr(), e.len() as i32),
        None => (std::ptr::null(), -1),
    };
    check(unsafe {
        ffi::kv_compare_and_swap(
            key.as_ptr(),
            key.len() as i32,
            expected_ptr,
            expected_len,
            value.as_ptr(),
            value.len() as i32,
        )
    })
}

/// All keys starting with `prefix`, ascending, reading as many pages as there are. For a store
/// with many keys, [`list_page`] reads one page at a time.
pub fn list(prefix: &str) -> Result<Vec<String>, KvError> {
    let mut keys: Vec<String> = Vec::new();
    loop {
        let after = keys.last().map(String::as_str).unwrap_or("");
        let page = list_page(prefix, after)?;
        if page.is_empty() {
            return Ok(keys);
        }
        keys.extend(page);
    }
}

/// One page (at most 100) of the keys starting with `prefix` that sort after `after` (`""`: from
/// the start), ascending; empty at the end. For the next page pass the page's last key.
pub fn list_page(prefix: &str, after: &str) -> Result<Vec<String>, KvError> {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = unsafe {
            ffi::kv_list(
                prefix.as_ptr(),
                prefix.len() as i32,
                after.as_ptr(),
                after.len() as i32,
                buf.as_mut_ptr(),
                buf.len() as i32,
            )
        };
        if n < 0 {
            return Err(KvError::from_code(n));
        }
        let n = n as usize;
        if n <= buf.len() {
            return Ok(decode_keys(&buf[..n]));
        }
        buf = vec![0u8; n];
    }
}

/// A `kv_list` page: for each key its length as u16 little-endian, then its bytes.
fn decode_keys(page: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut at = 0;
    while at + 2 <= page.len() {
        let len = u16::from_le_bytes([page[at], page[at + 1]]) as usize;
        let end = (at + 2 + len).min(page.len());
        keys.push(String::from_utf8_lossy(&page[at + 2..end]).into_owned());
        at = end;
    }
    keys
}

fn check(code: i32) -> Result<(), KvError> {
    if code < 0 {
        Err(KvError::from_code(code))
    } else {
        Ok(())
    }
}

/// The `kv_*` host functions. Declared here rather than in `sys` so the store is one module.
mod ffi {
    #[cfg(target_arch = "wasm32")]
    #[link(wasm_import_module = "kiln")]
    extern "C" {
        pub fn kv_get(key: *const u8, key_len: i32, buf: *mut u8, cap: i32) -> i32;
        pub fn kv_set(
            key: *const u8,
            key_len: i32,
            value: *const u8,
            value_len: i32,
            ttl_ms: i64,
        ) -> i32;
        pub fn kv_delete(key: *const u8, key_len: i32) -> i32;
        pub fn kv_list(
            prefix: *const u8,
            prefix_len: i32,
            after: *const u8,
            after_len: i32,
            buf: *mut u8,
            cap: i32,
        ) -> i32;
        pub fn kv_increment(key: *const u8, key_len: i32, delta: i64, result: *mut u8) -> i32;
        pub fn kv_compare_and_swap(
            key: *const u8,
            key_len: i32,
            expected: *const u8,
            expected_len: i32,
            value: *const u8,
            value_len: i32,
        ) -> i32;
    }

    /// Outside Wasm (`cargo test`) there is no store: every call is `-5`, as outside an
    /// invocation.
    #[cfg(not(target_arch = "wasm32"))]
    mod native {
        const UNAVAILABLE: i32 = -5;
        pub unsafe fn kv_get(_: *const u8, _: i32, _: *mut u8, _: i32) -> i32 {
            UNAVAILABLE
        }
        pub unsafe fn kv_set(_: *const u8, _: i32, _: *const u8, _: i32, _: i64) -> i32 {
            UNAVAILABLE
        }
        pub unsafe fn kv_delete(_: *const u8, _: i32) -> i32 {
            UNAVAILABLE
        }
        pub unsafe fn kv_list(_: *const u8, _: i32, _: *const u8, _: i32, _: *mut u8, _: i32) -> i32 {
            UNAVAILABLE
        }
        pub unsafe fn kv_increment(_: *const u8, _: i32, _: i64, _: *mut u8) -> i32 {
            UNAVAILABLE
        }
        pub unsafe fn kv_compare_and_swap(
            _: *const u8,
            _: i32,
            _: *const u8,
            _: i32,
            _: *const u8,
            _: i32,
        ) -> i32 {
            UNAVAILABLE
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub use native::*;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_decode_into_keys() {
        let page = [3, 0, b'a', b'/', b'b', 0, 0, 2, 0, b'z', b'z'];
        assert_eq!(decode_keys(&page), vec!["a/b", "", "zz"]);
        assert!(decode_keys(&[]).is_empty());
        // A truncated page never reads past its end.
        assert_eq!(decode_keys(&[5, 0, b'x']), vec!["x"]);
    }

    #[test]
    fn outside_kiln_the_store_is_unavailable() {
        assert_eq!(get("k").unwrap_err(), KvError::Unavailable);
        assert_eq!(increment("k", 1).unwrap_err(), KvError::Unavailable);
        assert_eq!(list("").unwrap_err(), KvError::Unavailable);
        assert_eq!(KvError::Conflict.code(), -4);
        assert_eq!(KvError::from_code(-3), KvError::Limit);
        assert_eq!(KvError::Limit.to_string(), "key-value limit reached (-3)");
    }
}
