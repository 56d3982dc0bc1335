//! Output files that never damage data: an `-o` file is written to a temporary file in the
//! same folder and renamed into place only when the command succeeds, so a crash, a full
//! disk or an error never leaves a half-written file; and an output that would overwrite
//! one of the command's inputs (the same file, a hard link or a symlink to it) is refused
//! unless the user asked for an in-place rewrite.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An output file being written. Nothing appears at its path until [`OutputFile::commit`];
/// dropped without a commit, the temporary file is removed.
pub struct OutputFile {
    w: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
}

/// Whether `a` and `b` name the same file (after symlinks; hard links included). A path
/// that does not exist is no file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => same_meta(&x, &y),
        _ => false,
    }
}

#[cfg(unix)]
fn same_meta(x: &fs::Metadata, y: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    x.dev() == y.dev() && x.ino() == y.ino()
}

#[cfg(not(unix))]
fn same_meta(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

impl OutputFile {
    /// Start writing `path`. Refused with a message naming the file when it is one of
    /// `inputs` (pass no inputs for an explicit in-place rewrite). When `path` is a symlink,
    /// the file it points to is replaced, not the link; an existing file keeps its
    /// permissions.
    pub fn create(path: &Path, inputs: &[&Path]) -> Result<OutputFile, String> {
        let name = path.display();
        if let Some(input) = inputs.iter().find(|i| same_file(i, path)) {
            return Err(format!(
                "{name}: is the input {} (refusing to overwrite it; use --in-place to rewrite a log in place)",
                input.display()
            ));
        }
        let target = match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
            }
            _ => path.to_path_buf(),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".dbglog-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| format!("{name}: cannot create: {e}"))?;
        if let Ok(m) = fs::metadata(&target) {
            // Best effort: a file replaced keeps its mode.
            let _ = fs::set_permissions(tmp.path(), m.permissions());
        }
        Ok(OutputFile {
            w: BufWriter::with_capacity(256 * 1024, tmp),
            path: target,
        })
    }

    /// Finish: flush, sync and rename the temporary file over the final path.
    pub fn commit(self) -> io::Result<()> {
        let tmp = self.w.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.w.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_input_and_its_links() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.log");
        fs::write(&a, b"x").unwrap();
        let hard = d.path().join("hard.log");
        fs::hard_link(&a, &hard).unwrap();
        assert!(OutputFile::create(&a, &[&a]).is_err());
        assert!(OutputFile::create(&hard, &[&a]).is_err());
        #[cfg(unix)]
        {
            let sym = d.path().join("sym.log");
            std::os::unix::fs::symlink(&a, &sym).unwrap();
            assert!(OutputFile::create(&sym, &[&a]).is_err());
        }
        assert_eq!(fs::read(&a).unwrap(), b"x");
    }

    #[test]
    fn nothing_appears_until_commit() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out.log");
        let mut f = OutputFile::create(&out, &[]).unwrap();
        f.write_all(b"hello").unwrap();
        assert!(!out.exists());
        drop(f);
        assert!(!out.exists());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0, "temp file left");
        let mut f = OutputFile::create(&out, &[]).unwrap();
        f.write_all(b"hello").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"hello");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_output_replaces_its_target() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.log");
        fs::write(&real, b"old").unwrap();
        let link = d.path().join("link.log");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut f = OutputFile::create(&link, &[]).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }
}
