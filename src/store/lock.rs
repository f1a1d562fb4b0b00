//! One trading process per home: an exclusive advisory lock (`flock`) on `<home>/sluice.lock`.
//!
//! Commands that send orders or transactions, or that journal them (`arb`, `demo`, `swap`,
//! `order`, `recover`), hold the lock for as long as they run; a second such command on the same
//! home fails at once, naming the holder's pid, instead of "recovering" a trade that is still in
//! flight in the other process. Read-only commands never take it. The kernel drops the lock when
//! the process dies, however it dies, so a killed run never leaves a stale lock behind; the pid in
//! the file is only for the message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why the home could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another sluice process ({holder}) is trading on the home {home}: one trading process per home \
         (stop it first, or use another --home)"
    )]
    Held { home: String, holder: String },
    #[error("cannot lock the home {home}: {source}")]
    Io {
        home: String,
        source: std::io::Error,
    },
}

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct HomeLock {
    _file: File,
    path: PathBuf,
}

impl HomeLock {
    /// The lock file of `home`.
    pub fn path_in(home: &Path) -> PathBuf {
        home.join("sluice.lock")
    }

    /// Takes the lock of `home` (creating the home, 0700, if needed), or fails at once if another
    /// process holds it.
    pub fn acquire(home: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            home: home.display().to_string(),
            source,
        };
        create_private_dir(home).map_err(io)?;
        let path = Self::path_in(home);
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let pid = text.trim();
                let holder = if !pid.is_empty()
                    && pid.len() <= 20
                    && pid.bytes().all(|b| b.is_ascii_digit())
                {
                    format!("pid {pid}")
                } else {
                    "pid unknown".to_string()
                };
                return Err(LockError::Held {
                    home: home.display().to_string(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Creates `dir` and its missing parents; the home itself is made 0700 when sluice creates it.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_home_fails_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let first = HomeLock::acquire(&home).unwrap();
        let err = HomeLock::acquire(&home).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LockError::Held { .. }), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        // released on drop: the next one gets it
        let _again = HomeLock::acquire(&home).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_home_and_the_lock_file_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("h");
        let lock = HomeLock::acquire(&home).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home), 0o700);
        assert_eq!(mode(lock.path()), 0o600);
    }
}
