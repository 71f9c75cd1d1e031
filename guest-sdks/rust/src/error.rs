use std::fmt;

/// A handled failure of a function. Returning it from a handler ends the invocation with
/// `guest_error` (HTTP 500) and its message as the error message the client sees, so write it
/// for your users.
///
/// Any `std::error::Error` converts into it, so `?` works on I/O-free std errors such as
/// `Utf8Error` or `ParseIntError`; for your own messages use [`Error::new`] or [`bail!`].
///
/// [`bail!`]: crate::bail
pub struct Error {
    message: String,
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }

    /// The message the client will see.
    pub fn message(&self) -> &str {
        &self.message
    }
}

// Like anyhow::Error, Error itself does not implement std::error::Error: that is what lets
// every std error convert into it with `?`.
impl<E: std::error::Error> From<E> for Error {
    fn from(e: E) -> Self {
        Error::new(e.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kiln::Error({:?})", self.message)
    }
}

/// `Result<T, kiln::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Returns early with a [`Error`] built like `format!`:
/// `kiln::bail!("missing orderId")` or `kiln::bail!("bad quantity {}", q)`.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return ::core::result::Result::Err($crate::Error::new(::std::format!($($arg)*)).into())
    };
}
