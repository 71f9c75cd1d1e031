//! Write Kiln functions in Rust.
//!
//! A function is a `cdylib` crate built for `wasm32-unknown-unknown`. Write a handler and
//! register it with one macro; the macro exports what the kiln ABI v1 needs
//! (`kiln_alloc`, `kiln_handle`, `kiln_init`), so you never write `#[no_mangle]`.
//!
//! An HTTP function:
//!
//! ```no_run
//! use kiln::{Request, Response};
//!
//! fn handle(req: Request) -> kiln::Result<Response> {
//!     let name = req.query_param("name").unwrap_or_else(|| "world".into());
//!     kiln::info!("greeting {}", name);
//!     Ok(Response::builder()
//!         .status(200)
//!         .header("content-type", "text/plain")
//!         .body(format!("Hello, {}!", name)))
//! }
//!
//! kiln::http_handler!(handle);
//! ```
//!
//! An event function gets the event bytes and returns the result bytes:
//!
//! ```no_run
//! fn handle(event: kiln::Event) -> kiln::Result<String> {
//!     Ok(event.text()?.to_uppercase())
//! }
//!
//! kiln::event_handler!(handle);
//! ```
//!
//! The service's key-value store is [`kv`]; requests to other services, [`outbound`]. Their
//! errors ([`kv::KvError`], [`outbound::FetchError`]) convert into [`Error`], so `?` works.
//!
//! Returning `Err` (or `kiln::bail!`) ends the invocation with `guest_error` and your message;
//! a panic is a trap (`guest_trap`) and its message goes to the function's logs.
//!
//! Memory: the payload, the result and everything the handler allocates are freed by the next
//! invocation, so an instance that Kiln keeps (`reuse` isolation) does not grow from one
//! invocation to the next. State you keep in statics survives only in `reuse` isolation; by
//! default every invocation starts from the state right after `kiln_init`.

#![warn(missing_docs)]

mod error;
mod http;
pub mod json;
pub mod kv;
pub mod outbound;
// Declares the whole ABI; not every function is used by the safe API yet.
#[allow(dead_code)]
mod sys;

pub use error::{Error, Result};
pub use http::{IntoResponse, Request, Response, ResponseBuilder};

/// The event of an event function: the bytes posted to `…/invoke` (or the HTTP body when the
/// function is called through its HTTP trigger).
#[derive(Debug, Clone)]
pub struct Event {
    body: Vec<u8>,
}

impl Event {
    /// An event built by hand, e.g. in unit tests of a handler.
    pub fn new(body: impl Into<Vec<u8>>) -> Self {
        Event { body: body.into() }
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The bytes as UTF-8 text; an error (→ `guest_error`) when they are not valid UTF-8.
    pub fn text(&self) -> Result<&str> {
        Ok(std::str::from_utf8(&self.body)?)
    }

    /// The bytes parsed as JSON; an error (→ `guest_error`) naming the offset when invalid.
    pub fn json(&self) -> Result<json::Value> {
        json::parse(&self.body)
    }

    /// Takes the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.body
    }
}

/// What an event handler may return: bytes, text, a [`json::Value`] (serialised), nothing
/// (`()`: an empty result), or a `Result` of any of these.
pub trait IntoBody {
    /// Converts into the result bytes, or the error that ends the invocation.
    fn into_body(self) -> Result<Vec<u8>>;
}

impl IntoBody for Vec<u8> {
    fn into_body(self) -> Result<Vec<u8>> {
        Ok(self)
    }
}
impl IntoBody for &[u8] {
    fn into_body(self) -> Result<Vec<u8>> {
        Ok(self.to_vec())
    }
}
impl IntoBody for String {
    fn into_body(self) -> Result<Vec<u8>> {
        Ok(self.into_bytes())
    }
}
impl IntoBody for &str {
    fn into_body(self) -> Result<Vec<u8>> {
        Ok(self.as_bytes().to_vec())
    }
}
impl IntoBody for json::Value {
    fn into_body(self) -> Result<Vec<u8>> {
        Ok(self.to_string().into_bytes())
    }
}
impl IntoBody for () {
    fn into_body(self) -> Result<Vec<u8>> {
        Ok(Vec::new())
    }
}
impl<T: IntoBody, E: Into<Error>> IntoBody for std::result::Result<T, E> {
    fn into_body(self) -> Result<Vec<u8>> {
        self.map_err(Into::into)?.into_body()
    }
}

/// Function logs: one call is one line, stored with the invocation record and readable with
/// `GET …/invocations/{requestId}` and `GET …/logs`. Per invocation the host keeps 1000 lines
/// and 64 KiB; later lines are dropped. The macros [`debug!`], [`info!`], [`warn!`] and
/// [`error!`] format like `println!`.
pub mod log {
    use crate::sys;

    /// Severity of a log line.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Level {
        /// Detail for debugging.
        Debug = 0,
        /// Normal operation.
        Info = 1,
        /// Something unexpected that the function handled.
        Warn = 2,
        /// A failure.
        Error = 3,
    }

    /// Writes one line at `level`. Outside an invocation (in `kiln_init`) the host keeps no
    /// logs and the line is dropped.
    pub fn write(level: Level, message: &str) {
        unsafe {
            sys::log(level as i32, message.as_ptr(), message.len() as i32);
        }
    }

    /// Writes one line at debug level.
    pub fn debug(message: &str) {
        write(Level::Debug, message)
    }

    /// Writes one line at info level.
    pub fn info(message: &str) {
        write(Level::Info, message)
    }

    /// Writes one line at warn level.
    pub fn warn(message: &str) {
        write(Level::Warn, message)
    }

    /// Writes one line at error level.
    pub fn error(message: &str) {
        write(Level::Error, message)
    }
}

/// Logs a line at debug level, formatted like `println!`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::debug(&::std::format!($($arg)*)) };
}

/// Logs a line at info level, formatted like `println!`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::info(&::std::format!($($arg)*)) };
}

/// Logs a line at warn level, formatted like `println!`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::warn(&::std::format!($($arg)*)) };
}

/// Logs a line at error level, formatted like `println!`.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log::error(&::std::format!($($arg)*)) };
}

/// The function's configuration: its `env` settings, set in `kiln.json` or with
/// `PATCH /api/v1/services/{s}/functions/{f}` `{"env": {"KEY": "value"}}`.
pub mod config {
    use crate::sys;

    /// The value of `key`, or `None` when it is not set.
    pub fn get(key: &str) -> Option<String> {
        sys::read_string(|buf, cap| unsafe {
            sys::config_get(key.as_ptr(), key.len() as i32, buf, cap)
        })
    }

    /// The value of `key`, or `default` when it is not set.
    pub fn get_or(key: &str, default: &str) -> String {
        get(key).unwrap_or_else(|| default.to_string())
    }
}

/// The current invocation: request id, function, version, trigger and deadline.
pub mod context {
    use crate::sys;

    fn field(id: i32) -> String {
        sys::read_string(|buf, cap| unsafe { sys::context_get(id, buf, cap) }).unwrap_or_default()
    }

    /// The request id (26 characters, time-ordered), as in the `X-Kiln-Request-Id` header.
    pub fn request_id() -> String {
        field(0)
    }

    /// The service the function belongs to.
    pub fn service() -> String {
        field(1)
    }

    /// The function's name.
    pub fn function() -> String {
        field(2)
    }

    /// The running version: the sha-256 (hex) of the module.
    pub fn version() -> String {
        field(3)
    }

    /// How the invocation started.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Trigger {
        /// `POST /api/v1/services/{s}/functions/{f}/invoke`
        Invoke,
        /// The HTTP trigger, `/fn/{s}/{f}/…`
        Http,
        /// A trigger this SDK does not know yet.
        Other(String),
    }

    /// How the invocation started.
    pub fn trigger() -> Trigger {
        match field(4).as_str() {
            "invoke" => Trigger::Invoke,
            "http" => Trigger::Http,
            other => Trigger::Other(other.to_string()),
        }
    }

    /// Unix epoch milliseconds at which the host cuts the invocation (`timeout`); 0 outside
    /// an invocation.
    pub fn deadline_ms() -> u64 {
        unsafe { sys::deadline_ms() as u64 }
    }

    /// Milliseconds left before the deadline (0 once it passed).
    pub fn remaining_ms() -> u64 {
        deadline_ms().saturating_sub(crate::time::unix_nanos() / 1_000_000)
    }
}

/// Clocks (`std::time::SystemTime` does not work on `wasm32-unknown-unknown`).
pub mod time {
    use crate::sys;

    /// Wall-clock time in Unix epoch nanoseconds.
    pub fn unix_nanos() -> u64 {
        unsafe { sys::clock_unix_ns() as u64 }
    }

    /// A monotonic clock in nanoseconds, for measuring intervals.
    pub fn monotonic_nanos() -> u64 {
        unsafe { sys::clock_monotonic_ns() as u64 }
    }
}

/// Cryptographically strong random bytes from the host.
pub mod random {
    use crate::sys;

    /// Fills `buf` with random bytes.
    pub fn fill(buf: &mut [u8]) {
        for chunk in buf.chunks_mut(65536) {
            unsafe {
                sys::random_fill(chunk.as_mut_ptr(), chunk.len() as i32);
            }
        }
    }

    /// A random `u64`.
    pub fn u64() -> u64 {
        let mut b = [0u8; 8];
        fill(&mut b);
        u64::from_le_bytes(b)
    }
}

/// Glue called by the handler macros; not part of the API.
#[doc(hidden)]
pub mod __rt {
    use crate::{Error, Event, IntoBody, IntoResponse, Request, Result};
    use std::cell::UnsafeCell;
    use std::mem::ManuallyDrop;

    /// The last result handed to the host. It must outlive `kiln_handle` (the host reads it
    /// after the call returns), so it is freed at the start of the next invocation.
    struct ResultSlot(UnsafeCell<Vec<u8>>);
    // Wasm guests are single-threaded: one invocation at a time per instance.
    unsafe impl Sync for ResultSlot {}
    static RESULT: ResultSlot = ResultSlot(UnsafeCell::new(Vec::new()));

    /// Heap reserved in `kiln_init` so that typical invocations allocate without growing
    /// memory (Kiln resets an instance from its snapshot only while memory has not grown).
    const WARM_HEAP_BYTES: usize = 256 * 1024;

    /// `kiln_alloc`: room for the payload, owned by the invocation that follows.
    pub fn alloc(len: i32) -> *mut u8 {
        ManuallyDrop::new(Vec::<u8>::with_capacity(len as u32 as usize)).as_mut_ptr()
    }

    /// `kiln_init`: a panic hook that logs, a warmed heap, then the user's init.
    pub fn init(user_init: fn()) {
        std::panic::set_hook(Box::new(|info| crate::log::error(&info.to_string())));
        drop(Vec::<u8>::with_capacity(WARM_HEAP_BYTES));
        user_init();
    }

    /// Default for handlers registered without `init = …`.
    pub fn no_init() {}

    /// Frees the previous result and takes ownership of the payload `kiln_alloc` returned.
    unsafe fn begin(ptr: *mut u8, len: i32) -> Vec<u8> {
        drop(std::mem::take(&mut *RESULT.0.get()));
        let len = len as u32 as usize;
        Vec::from_raw_parts(ptr, len, len)
    }

    /// Keeps the result alive for the host and packs `(ptr << 32) | len`, or reports the
    /// error with `kiln.fail`.
    fn finish(result: Result<Vec<u8>>) -> i64 {
        match result {
            Ok(body) => {
                let slot = unsafe { &mut *RESULT.0.get() };
                *slot = body;
                ((slot.as_ptr() as u32 as u64) << 32 | slot.len() as u64) as i64
            }
            Err(e) => {
                fail(&e);
                0
            }
        }
    }

    fn fail(e: &Error) {
        let m = e.message();
        unsafe {
            crate::sys::fail(m.as_ptr(), m.len() as i32);
        }
    }

    /// `kiln_handle` of an HTTP function.
    ///
    /// # Safety
    /// `ptr`/`len` must come from [`alloc`], as the host guarantees.
    pub unsafe fn run_http<R: IntoResponse>(
        ptr: *mut u8,
        len: i32,
        handler: impl FnOnce(Request) -> R,
    ) -> i64 {
        let request = Request::from_host(begin(ptr, len));
        finish(handler(request).into_response().and_then(|r| r.send()))
    }

    /// `kiln_handle` of an event function.
    ///
    /// # Safety
    /// `ptr`/`len` must come from [`alloc`], as the host guarantees.
    pub unsafe fn run_event<R: IntoBody>(
        ptr: *mut u8,
        len: i32,
        handler: impl FnOnce(Event) -> R,
    ) -> i64 {
        finish(handler(Event::new(begin(ptr, len))).into_body())
    }
}

/// Registers an HTTP handler: `fn(Request) -> impl IntoResponse`, e.g.
/// `fn handle(req: Request) -> kiln::Result<Response>`.
///
/// `kiln::http_handler!(handle, init = setup)` also runs `fn setup()` once per instance before
/// the first invocation; Kiln snapshots memory after it, so work done there (tables, parsed
/// config) is free for every invocation.
#[macro_export]
macro_rules! http_handler {
    ($handler:expr) => {
        $crate::http_handler!($handler, init = $crate::__rt::no_init);
    };
    ($handler:expr, init = $init:expr) => {
        $crate::__export_abi!($init);

        #[doc(hidden)]
        #[export_name = "kiln_handle"]
        pub unsafe extern "C" fn __kiln_handle(ptr: *mut u8, len: i32) -> i64 {
            $crate::__rt::run_http(ptr, len, $handler)
        }
    };
}

/// Registers an event handler: `fn(Event) -> impl IntoBody`, e.g.
/// `fn handle(event: Event) -> kiln::Result<Vec<u8>>`. Takes `init = …` like
/// [`http_handler!`].
#[macro_export]
macro_rules! event_handler {
    ($handler:expr) => {
        $crate::event_handler!($handler, init = $crate::__rt::no_init);
    };
    ($handler:expr, init = $init:expr) => {
        $crate::__export_abi!($init);

        #[doc(hidden)]
        #[export_name = "kiln_handle"]
        pub unsafe extern "C" fn __kiln_handle(ptr: *mut u8, len: i32) -> i64 {
            $crate::__rt::run_event(ptr, len, $handler)
        }
    };
}

/// The exports every kiln-ABI module has besides its handler.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_abi {
    ($init:expr) => {
        #[doc(hidden)]
        #[export_name = "kiln_alloc"]
        pub extern "C" fn __kiln_alloc(len: i32) -> *mut u8 {
            $crate::__rt::alloc(len)
        }

        #[doc(hidden)]
        #[export_name = "kiln_init"]
        pub extern "C" fn __kiln_init() {
            $crate::__rt::init($init)
        }

        #[doc(hidden)]
        #[export_name = "kiln_abi_version"]
        pub extern "C" fn __kiln_abi_version() -> i32 {
            1
        }
    };
}
