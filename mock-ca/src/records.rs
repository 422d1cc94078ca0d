//! The desk's records on disk (`--data-dir`): one JSON file holding every application, issued
//! certificate and sent mail, rewritten atomically (a temporary file, synced, renamed over) before
//! a change is acknowledged, so a restart loses nothing that was answered.

use std::path::{Path, PathBuf};

use crate::{authority::write_atomically, registration::Snapshot};

const FILE: &str = "records.json";

/// The records could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not records this version can read.
    #[error("{path}: not readable records: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

/// Where the records live.
#[derive(Debug, Clone)]
pub struct Records {
    path: PathBuf,
}

impl Records {
    /// Records in `dir` (made if missing).
    pub fn in_dir(dir: &Path) -> Result<Self, RecordsError> {
        std::fs::create_dir_all(dir).map_err(|source| RecordsError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path: dir.join(FILE),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What was saved last, or `None` where nothing was ever saved.
    pub fn load(&self) -> Result<Option<Snapshot>, RecordsError> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(RecordsError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|source| RecordsError::Unreadable {
                path: self.path.clone(),
                source,
            })
    }

    /// Replaces the saved records with `snapshot`, atomically.
    pub fn save(&self, snapshot: &Snapshot) -> Result<(), RecordsError> {
        let io = |source| RecordsError::Io {
            path: self.path.clone(),
            source,
        };
        let text = serde_json::to_vec_pretty(snapshot).map_err(|e| io(e.into()))?;
        write_atomically(&self.path, &text, 0o600).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_saved_load_back_and_a_missing_file_is_no_records() {
        let dir = tempfile::tempdir().unwrap();
        let records = Records::in_dir(&dir.path().join("data")).unwrap();
        assert!(records.load().unwrap().is_none());
        let snapshot = Snapshot {
            auto_approve: true,
            ..Snapshot::default()
        };
        records.save(&snapshot).unwrap();
        assert!(records.load().unwrap().unwrap().auto_approve);
    }

    #[test]
    fn unreadable_records_are_an_error_not_an_empty_site() {
        let dir = tempfile::tempdir().unwrap();
        let records = Records::in_dir(dir.path()).unwrap();
        std::fs::write(records.path(), b"{not json").unwrap();
        assert!(matches!(
            records.load(),
            Err(RecordsError::Unreadable { .. })
        ));
    }
}
