//! Private files on disk: directories created 0700, files written 0600 and atomically.
//!
//! A write goes to a temporary file in the destination's directory (created 0600, never readable by
//! others even for an instant), is fsynced, then renamed (or hard-linked, for create-only writes) onto
//! the destination, and the directory is fsynced. A reader sees the old file or the new one, never a
//! partial one; on any error the temporary file is removed, so nothing is left behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rand::RngCore;
use thiserror::Error;
use zeroize::Zeroizing;

/// Mode of private files.
pub const FILE_MODE: u32 = 0o600;
/// Mode of private directories.
pub const DIR_MODE: u32 = 0o700;

/// What to do when the destination already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Replace it atomically.
    Replace,
    /// Fail with [`SecureFileError::AlreadyExists`] and leave it untouched.
    CreateNew,
}

/// A failed private-file operation, naming the operation and the path (never the contents).
#[derive(Debug, Error)]
pub enum SecureFileError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{0} already exists")]
    AlreadyExists(PathBuf),
    #[error("{0} has no parent directory or file name")]
    BadPath(PathBuf),
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SecureFileError + 'a {
    move |source| SecureFileError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` and any missing parents with mode 0700 (existing directories keep their mode).
pub fn create_private_dir(dir: &Path) -> Result<(), SecureFileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir).map_err(io_err("create directory", dir))
}

/// Makes `dir` a private directory: created 0700 (with missing parents) or, if it exists and others
/// may read or enter it, narrowed to 0700. For folders sluice owns (`wallets`, `keys`), never for a
/// folder the user names (an `--out` file's folder keeps its mode).
pub fn ensure_private_dir(dir: &Path) -> Result<(), SecureFileError> {
    create_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)
            .map_err(io_err("inspect directory", dir))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
                .map_err(io_err("restrict directory to its owner", dir))?;
            tracing::info!(dir = %dir.display(), was = format!("{:o}", mode & 0o777), "directory narrowed to 0700");
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically with mode 0600, creating the parent directories 0700.
pub fn write_private_file(
    path: &Path,
    bytes: &[u8],
    mode: WriteMode,
) -> Result<(), SecureFileError> {
    let (dir, name) = match (path.parent(), path.file_name()) {
        (Some(d), Some(n)) => (d, n),
        _ => return Err(SecureFileError::BadPath(path.to_path_buf())),
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    create_private_dir(dir)?;
    if mode == WriteMode::CreateNew && path.symlink_metadata().is_ok() {
        return Err(SecureFileError::AlreadyExists(path.to_path_buf()));
    }
    let tmp = dir.join(format!(
        ".{}.tmp-{:016x}",
        name.to_string_lossy(),
        rand::rngs::OsRng.next_u64()
    ));
    let result = write_temp_and_install(&tmp, path, bytes, mode);
    // After a successful rename the temp path is gone; after a hard link or any failure it remains.
    let _ = fs::remove_file(&tmp);
    result?;
    sync_dir(dir)
}

fn write_temp_and_install(
    tmp: &Path,
    path: &Path,
    bytes: &[u8],
    mode: WriteMode,
) -> Result<(), SecureFileError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let mut file = options
        .open(tmp)
        .map_err(io_err("create temporary file", tmp))?;
    file.write_all(bytes).map_err(io_err("write", tmp))?;
    file.sync_all().map_err(io_err("fsync", tmp))?;
    drop(file);
    match mode {
        WriteMode::Replace => fs::rename(tmp, path).map_err(io_err("rename onto", path)),
        // link(2) fails if the destination exists: an atomic create-only install.
        WriteMode::CreateNew => fs::hard_link(tmp, path).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                SecureFileError::AlreadyExists(path.to_path_buf())
            } else {
                io_err("link", path)(e)
            }
        }),
    }
}

fn sync_dir(dir: &Path) -> Result<(), SecureFileError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err("fsync directory", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Reads a private file into memory that is wiped when dropped.
pub fn read_private_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecureFileError> {
    let mut file = File::open(path).map_err(io_err("open", path))?;
    let mut buf = Zeroizing::new(Vec::new());
    file.read_to_end(&mut buf).map_err(io_err("read", path))?;
    Ok(buf)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode_of(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_0600_in_0700_dirs_and_leaves_no_temp() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        let file = dir.join("secret.json");
        write_private_file(&file, b"one", WriteMode::CreateNew).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"one");
        assert_eq!(mode_of(&file), 0o600);
        assert_eq!(mode_of(&dir), 0o700);
        assert_eq!(mode_of(&root.path().join("a")), 0o700);

        write_private_file(&file, b"two", WriteMode::Replace).unwrap();
        assert_eq!(&*read_private_file(&file).unwrap(), b"two");
        assert_eq!(mode_of(&file), 0o600);

        let err = write_private_file(&file, b"three", WriteMode::CreateNew).unwrap_err();
        assert!(matches!(err, SecureFileError::AlreadyExists(_)), "{err}");
        assert_eq!(fs::read(&file).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("secret.json")]);
    }

    #[test]
    fn ensure_private_dir_narrows_an_open_folder() {
        let root = tempfile::tempdir().unwrap();
        let open = root.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&open).unwrap();
        assert_eq!(mode_of(&open), 0o700);
        let fresh = root.path().join("a/b");
        ensure_private_dir(&fresh).unwrap();
        assert_eq!(mode_of(&fresh), 0o700);
        assert_eq!(mode_of(&root.path().join("a")), 0o700);
    }

    #[test]
    fn failure_leaves_nothing_behind() {
        let root = tempfile::tempdir().unwrap();
        // The destination is a non-empty directory: rename must fail.
        let target = root.path().join("occupied");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("x"), b"x").unwrap();
        assert!(write_private_file(&target, b"data", WriteMode::Replace).is_err());
        let names: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("occupied")]);
    }
}
