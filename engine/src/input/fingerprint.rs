//! What the import log keeps of an input file: its size and a content hash
//! (xxh3-128), so that `ingest history ID` says exactly which file an import
//! read, and a re-run can be told apart from a run on a changed file.
//!
//! A file on disk is hashed through buffered reads, not through the input's map:
//! touching every page of the map would make it resident at once, which the
//! pipeline avoids for inputs larger than memory (`Source::release`). The reads
//! also warm the page cache for the pipeline. Bytes read into memory (standard
//! input, a pipe) are hashed where they are.

use std::io::{self, Read};

use xxhash_rust::xxh3::Xxh3;

use super::source::Source;

/// Size and content hash of one input, as the log keeps them.
pub fn of(source: &Source) -> io::Result<store::InputFile> {
    let path = source.path().display().to_string();
    let mut hasher = Xxh3::new();
    let size = if source.on_disk() {
        let mut file = std::fs::File::open(source.path())?;
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            match file.read(&mut buf) {
                Ok(0) => break size,
                Ok(n) => {
                    hasher.update(&buf[..n]);
                    size += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    } else {
        hasher.update(source.bytes());
        source.bytes().len() as u64
    };
    Ok(store::InputFile { path, size, hash: text(hasher.digest128()) })
}

/// `xxh3-128:` and the hash as 32 lowercase hex digits, as `xxhsum -H2` prints it.
fn text(hash: u128) -> String {
    format!("xxh3-128:{hash:032x}")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn a_file_and_the_same_bytes_in_memory_hash_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let text = "Email,City\njosé.müller@exämple.de,Ærøskøbing\n".repeat(30_000);
        std::fs::write(&path, &text).unwrap();
        let on_disk = of(&Source::open(&path).unwrap()).unwrap();
        let in_memory = of(&Source::from_bytes(text.clone().into_bytes(), Path::new("-"))).unwrap();
        assert_eq!(on_disk.size, text.len() as u64);
        assert_eq!(on_disk.hash, in_memory.hash);
        assert_eq!(on_disk.hash.len(), "xxh3-128:".len() + 32);
        let other = of(&Source::from_bytes(b"Email\n".to_vec(), Path::new("-"))).unwrap();
        assert_ne!(other.hash, on_disk.hash);
    }

    #[test]
    fn the_hash_is_the_one_xxhsum_prints() {
        // `printf '' | xxhsum -H2`: the xxh3-128 of no bytes.
        assert_eq!(
            of(&Source::from_bytes(Vec::new(), Path::new("-"))).unwrap().hash,
            "xxh3-128:99aa06d3014798d86001c324468d497f"
        );
    }
}
