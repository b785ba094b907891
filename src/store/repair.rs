//! Repairs on open: leftovers of interrupted sled writes that would keep a store from ever
//! opening again.
//!
//! sled 0.34 writes a snapshot of its page table to `snap.LSN.generating`, syncs it and
//! renames it to `snap.LSN`. When the disk fills up in between (typically while a store
//! opens: recovery writes a fresh snapshot), the `.generating` file stays behind empty or
//! cut short. sled does not skip such files: it takes the newest-named snapshot file,
//! `.generating` or not, and refuses a short or mismatching one as corruption, so the store
//! stays unopenable after space returns. A snapshot is only a shortcut over the log (the
//! previous complete one, or none, still recovers everything), so an incomplete
//! `.generating` file is safe to remove. A complete one (written and synced, the rename not
//! done) is valid and left for sled, which reads it and replaces it with its next snapshot.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Result, StoreError};

/// sled's snapshot trailer: the uncompressed length (8 bytes) and a CRC-32 (4, little-endian)
/// of the bytes before it.
const TRAILER: usize = 12;

/// Removes incomplete snapshot files from the store folder `dir` before sled opens it;
/// returns what it removed (each also logged as a warning).
pub fn repair(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A store that does not exist yet is created by sled.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(dir, e)),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        let is_leftover = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|name| name.starts_with("snap.") && name.ends_with(".generating"));
        if !is_leftover || complete_snapshot(&path)? {
            continue;
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        std::fs::remove_file(&path).map_err(|e| io_error(&path, e))?;
        tracing::warn!(
            file = %path.display(),
            bytes = size,
            "repaired the store: removed an incomplete snapshot file left by an interrupted \
             write (e.g. a full disk); the store recovers from its log"
        );
        removed.push(path);
    }
    Ok(removed)
}

/// Whether a snapshot file is whole: long enough for its trailer, and its CRC matches.
fn complete_snapshot(path: &Path) -> Result<bool> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut file| file.read_to_end(&mut bytes))
        .map_err(|e| io_error(path, e))?;
    if bytes.len() <= TRAILER {
        return Ok(false);
    }
    let (body, trailer) = bytes.split_at(bytes.len() - TRAILER);
    let expected = u32::from_le_bytes([trailer[8], trailer[9], trailer[10], trailer[11]]);
    Ok(crc32fast::hash(body) == expected)
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Sled {
        path: path.to_path_buf(),
        source: sled::Error::Io(source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot file as sled writes it.
    fn snapshot(body: &[u8]) -> Vec<u8> {
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        bytes
    }

    #[test]
    fn only_incomplete_generating_snapshots_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes);
        write("snap.00000000000004A3", &snapshot(b"old page table")).unwrap();
        write("snap.0000000000000562.generating", b"").unwrap();
        let mut cut = snapshot(b"a page table cut short");
        cut.truncate(cut.len() - 3);
        write("snap.0000000000000600.generating", &cut).unwrap();
        write("snap.0000000000000700.generating", &snapshot(b"whole")).unwrap();
        write("db", b"log").unwrap();
        let mut removed = repair(dir.path()).unwrap();
        removed.sort();
        let names: Vec<_> = removed
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "snap.0000000000000562.generating",
                "snap.0000000000000600.generating"
            ]
        );
        for kept in [
            "snap.00000000000004A3",
            "snap.0000000000000700.generating",
            "db",
        ] {
            assert!(dir.path().join(kept).exists(), "{kept}");
        }
        assert!(repair(dir.path()).unwrap().is_empty());
        assert!(repair(&dir.path().join("missing")).unwrap().is_empty());
    }
}
