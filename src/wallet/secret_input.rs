//! Secrets as the user hands them over: typed on a terminal (read without echo), piped to standard
//! input (read as is), or in the environment (`SLUICE_PASSWORD`, taken out of the environment once
//! at start-up so that child processes such as anvil or forge never inherit it).
//!
//! Every buffer that holds a secret is wiped on drop and sized up front, so that growing it leaves
//! no unwiped copy behind.

use std::io::{self, BufRead, IsTerminal, Read};
use std::sync::OnceLock;

use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use super::secret::SecretString;

/// Environment variable that, when set, supplies the wallet password.
pub const PASSWORD_ENV: &str = "SLUICE_PASSWORD";

/// Room reserved for one secret read from the user (a 24-word phrase, a key, an Ed25519 PEM).
const SECRET_CAPACITY: usize = 8192;

/// Why a secret could not be read. Never contains any of the input.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SecretInputError {
    #[error("cannot read the {what} from the terminal: {reason}")]
    Terminal { what: &'static str, reason: String },
    #[error("cannot read the {what} from standard input: {reason}")]
    Stdin { what: &'static str, reason: String },
    #[error("standard input ended before the {0}")]
    Ended(&'static str),
    #[error("environment variable {0} is not valid UTF-8")]
    NotUtf8(String),
}

/// True when standard input is a terminal (someone types), false for a pipe or a file.
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// One line typed on the terminal that is standard input, with echo off while it is typed; the
/// prompt goes to stderr. The line ends at Enter; the newline is not part of it.
pub fn read_hidden_line(
    prompt: &str,
    what: &'static str,
) -> Result<Zeroizing<String>, SecretInputError> {
    // rpassword turns echo off only on a terminal it opened by path; /dev/stdin is this process's
    // standard input (by default it would use /dev/tty, which a process may not have).
    #[cfg(unix)]
    let config = rpassword::ConfigBuilder::new()
        .input_file_path("/dev/stdin")
        .output_writer(io::stderr())
        .build();
    #[cfg(not(unix))]
    let config = rpassword::ConfigBuilder::new().build();
    rpassword::prompt_password_with_config(prompt, config)
        .map(Zeroizing::new)
        .map_err(|e| SecretInputError::Terminal {
            what,
            reason: e.to_string(),
        })
}

/// Everything piped to standard input.
pub fn read_all_stdin(what: &'static str) -> Result<Zeroizing<String>, SecretInputError> {
    let mut text = Zeroizing::new(String::with_capacity(SECRET_CAPACITY));
    io::stdin()
        .lock()
        .read_to_string(&mut text)
        .map_err(|e| SecretInputError::Stdin {
            what,
            reason: e.to_string(),
        })?;
    Ok(text)
}

/// The next line of `input`, trimmed ([`SecretInputError::Ended`] at the end of the input).
pub fn read_line(
    input: &mut impl BufRead,
    what: &'static str,
) -> Result<Zeroizing<String>, SecretInputError> {
    let mut line = Zeroizing::new(String::with_capacity(SECRET_CAPACITY));
    let n = input
        .read_line(&mut line)
        .map_err(|e| SecretInputError::Stdin {
            what,
            reason: e.to_string(),
        })?;
    if n == 0 {
        return Err(SecretInputError::Ended(what));
    }
    Ok(Zeroizing::new(line.trim().to_string()))
}

/// What [`take_password_from_env`] found.
static PASSWORD_FROM_ENV: OnceLock<Result<Option<SecretString>, SecretInputError>> =
    OnceLock::new();

/// Moves `SLUICE_PASSWORD` out of the process environment into a wiped-on-drop holder that
/// [`password_from_env`] reads: the variable is removed, and on Linux its bytes in the original
/// environment block (what `/proc/PID/environ` and `ps e` show) are overwritten with zeros.
///
/// # Safety
///
/// It modifies the environment, which is only sound while no other thread can read or write it
/// (`getenv` in libc, DNS resolution, …): call it once, first thing in `main`, before any runtime or
/// thread is started.
pub unsafe fn take_password_from_env() {
    // SAFETY: our caller guarantees the process is single-threaded.
    let taken = unsafe { take_env_secret(PASSWORD_ENV) };
    let _ = PASSWORD_FROM_ENV.set(taken);
}

/// The password taken from `SLUICE_PASSWORD` at start-up: `None` if it was not set. If the program
/// did not take it (a library user), the variable is read where it is and left in place.
pub fn password_from_env() -> Result<Option<SecretString>, SecretInputError> {
    match PASSWORD_FROM_ENV.get() {
        Some(taken) => taken.clone(),
        None => match std::env::var_os(PASSWORD_ENV) {
            None => Ok(None),
            Some(v) => v
                .into_string()
                .map(|s| Some(SecretString::new(s)))
                .map_err(|_| SecretInputError::NotUtf8(PASSWORD_ENV.into())),
        },
    }
}

/// Reads `name` from the environment, wipes its value in place (Linux) and removes it.
///
/// # Safety
///
/// As [`take_password_from_env`]: no other thread may touch the environment meanwhile.
pub unsafe fn take_env_secret(name: &str) -> Result<Option<SecretString>, SecretInputError> {
    // SAFETY: single-threaded, by our caller's guarantee.
    let raw = unsafe { wipe_env_value(name) };
    // SAFETY: single-threaded, by our caller's guarantee.
    unsafe { std::env::remove_var(name) };
    let Some(mut raw) = raw else {
        return Ok(None);
    };
    match String::from_utf8(std::mem::take(&mut *raw)) {
        Ok(text) => Ok(Some(SecretString::new(text))),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(SecretInputError::NotUtf8(name.to_string()))
        }
    }
}

/// The value of `name` (the first entry, as `getenv` sees it), copied out, and every entry of that
/// name overwritten with zeros where it lies.
///
/// # Safety
///
/// No other thread may read or write the environment meanwhile.
#[cfg(target_os = "linux")]
unsafe fn wipe_env_value(name: &str) -> Option<Zeroizing<Vec<u8>>> {
    use std::ffi::{CStr, c_char};
    unsafe extern "C" {
        /// The C library's environment: a null-terminated array of `NAME=value` C strings.
        static environ: *const *mut c_char;
    }
    let mut found = None;
    // SAFETY: reading the pointer itself; nothing else changes it (single-threaded).
    let mut entry = unsafe { environ };
    if entry.is_null() {
        return None;
    }
    loop {
        // SAFETY: `entry` points into the null-terminated array.
        let ptr = unsafe { *entry };
        if ptr.is_null() {
            break;
        }
        // SAFETY: each entry is a valid NUL-terminated C string owned by the process.
        let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
        let prefix = name.len() + 1;
        if bytes.len() >= prefix && bytes.starts_with(name.as_bytes()) && bytes[name.len()] == b'='
        {
            let value_len = bytes.len() - prefix;
            if found.is_none() {
                found = Some(Zeroizing::new(bytes[prefix..].to_vec()));
            }
            // SAFETY: the value's bytes lie within this entry's string, which is writable process
            // memory (the initial environment block on the stack, or libc's heap copies); no
            // reference to it is alive (`bytes` is not used after this point).
            unsafe { std::ptr::write_bytes(ptr.add(prefix).cast::<u8>(), 0, value_len) };
        }
        // SAFETY: not past the terminating null entry (checked above).
        entry = unsafe { entry.add(1) };
    }
    found
}

/// Elsewhere: the value is copied out; its original bytes stay where the system keeps them.
#[cfg(not(target_os = "linux"))]
unsafe fn wipe_env_value(name: &str) -> Option<Zeroizing<Vec<u8>>> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        std::env::var_os(name).map(|v| Zeroizing::new(v.into_vec()))
    }
    #[cfg(not(unix))]
    {
        std::env::var_os(name)
            .map(|v| Zeroizing::new(v.to_string_lossy().into_owned().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_the_end_is_an_error() {
        let mut input = io::Cursor::new("  key-1 \nsecret\r\n");
        assert_eq!(&*read_line(&mut input, "API key").unwrap(), "key-1");
        assert_eq!(&*read_line(&mut input, "secret").unwrap(), "secret");
        let err = read_line(&mut input, "secret").unwrap_err();
        assert_eq!(err, SecretInputError::Ended("secret"));
        assert_eq!(err.to_string(), "standard input ended before the secret");
    }
}
