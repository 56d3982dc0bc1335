//! Expanding `PATH…` arguments into a sorted list of inputs.
//!
//! Folders are walked recursively in byte order of the entry names, following symbolic
//! links; every folder is entered at most once (by its canonical path), so a link back to
//! an ancestor ends the walk there instead of looping. Whatever cannot be scanned (a
//! dangling link, an unreadable folder, a link loop) becomes an entry with its outcome
//! already decided, at its place in the walk, so that the report loses nothing.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One input found by the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A file (or a pipe or device named on the command line) to open and scan.
    File {
        /// The path to open.
        path: PathBuf,
        /// The name used in reports: the path as reached from the argument.
        name: String,
    },
    /// Standard input (`-`).
    Stdin,
    /// An input that failed before it could be opened.
    Failed {
        /// Name used in reports.
        name: String,
        /// Why, in a few words.
        reason: String,
    },
    /// An input that is deliberately not scanned.
    Skipped {
        /// Name used in reports.
        name: String,
        /// Why, in a few words.
        reason: String,
    },
}

impl Entry {
    /// The name used in reports.
    pub fn name(&self) -> &str {
        match self {
            Entry::File { name, .. } | Entry::Failed { name, .. } | Entry::Skipped { name, .. } => {
                name
            }
            Entry::Stdin => "<stdin>",
        }
    }
}

/// Expand command-line arguments into entries, in argument order; folders are expanded in
/// sorted order at the place of their argument.
pub fn walk<S: AsRef<str>>(args: &[S]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    for arg in args {
        let arg = arg.as_ref();
        if arg == "-" {
            out.push(Entry::Stdin);
            continue;
        }
        let path = PathBuf::from(arg);
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk_dir(&path, arg.to_string(), &mut visited, &mut out),
            // A file, or a pipe / device named explicitly: the user asked for it.
            Ok(_) => out.push(Entry::File {
                path,
                name: arg.to_string(),
            }),
            Err(e) => out.push(stat_error(&path, arg.to_string(), &e)),
        }
    }
    out
}

fn stat_error(path: &Path, name: String, e: &io::Error) -> Entry {
    if is_loop(e) {
        return Entry::Skipped {
            name,
            reason: "symbolic link loop".into(),
        };
    }
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let reason = match e.kind() {
        io::ErrorKind::NotFound if is_link => "dangling symbolic link".to_string(),
        io::ErrorKind::NotFound => "no such file or folder".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => format!("cannot read: {e}"),
    };
    Entry::Failed { name, reason }
}

fn is_loop(e: &io::Error) -> bool {
    // ELOOP: "too many levels of symbolic links" (40 on Linux, 62 on the BSDs and macOS).
    #[cfg(unix)]
    {
        matches!(e.raw_os_error(), Some(40) | Some(62))
            && e.to_string()
                .to_ascii_lowercase()
                .contains("symbolic links")
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

fn walk_dir(dir: &Path, name: String, visited: &mut HashSet<PathBuf>, out: &mut Vec<Entry>) {
    let canon = match fs::canonicalize(dir) {
        Ok(c) => c,
        Err(e) => {
            out.push(stat_error(dir, name, &e));
            return;
        }
    };
    if !visited.insert(canon) {
        out.push(Entry::Skipped {
            name,
            reason: "folder already walked (symbolic link loop or second link to it)".into(),
        });
        return;
    }
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            let reason = if e.kind() == io::ErrorKind::PermissionDenied {
                "cannot read folder: permission denied".to_string()
            } else {
                format!("cannot read folder: {e}")
            };
            out.push(Entry::Failed { name, reason });
            return;
        }
    };
    let mut children: Vec<(OsString, PathBuf)> = Vec::new();
    for ent in rd {
        match ent {
            Ok(ent) => children.push((ent.file_name(), ent.path())),
            Err(e) => out.push(Entry::Failed {
                name: name.clone(),
                reason: format!("cannot list folder: {e}"),
            }),
        }
    }
    children.sort_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
    for (file_name, path) in children {
        let child_name = join_name(&name, &file_name);
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk_dir(&path, child_name, visited, out),
            Ok(m) if m.is_file() => out.push(Entry::File {
                path,
                name: child_name,
            }),
            // Sockets, pipes and devices found by a walk could block or never end.
            Ok(_) => out.push(Entry::Skipped {
                name: child_name,
                reason: "not a regular file".into(),
            }),
            Err(e) => out.push(stat_error(&path, child_name, &e)),
        }
    }
}

fn join_name(parent: &str, child: &OsString) -> String {
    let child = child.to_string_lossy();
    if parent.ends_with('/') || parent.ends_with(std::path::MAIN_SEPARATOR) {
        format!("{parent}{child}")
    } else {
        format!("{parent}{}{child}", std::path::MAIN_SEPARATOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_loop_safe() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        fs::create_dir(root.join("b")).unwrap();
        fs::write(root.join("b/z.log"), "x").unwrap();
        fs::write(root.join("b/a.log"), "x").unwrap();
        fs::write(root.join("a.log"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("..", root.join("b/up")).unwrap();
        let arg = root.display().to_string();
        let got = walk(&[arg.as_str(), "-", "/definitely/not/here"]);
        let names: Vec<String> = got
            .iter()
            .map(|e| match e {
                Entry::File { name, .. } => format!("F {}", &name[arg.len()..]),
                Entry::Stdin => "stdin".into(),
                Entry::Failed { name, .. } => format!("X {name}"),
                Entry::Skipped { name, .. } => format!("S {}", &name[arg.len()..]),
            })
            .collect();
        let mut want = vec!["F /a.log", "F /b/a.log"];
        if cfg!(unix) {
            want.push("S /b/up");
        }
        want.extend(["F /b/z.log", "stdin", "X /definitely/not/here"]);
        assert_eq!(names, want);
    }
}
