//! Mapped files that shrink while they are read.
//!
//! A regular file is read through a memory map. When another process truncates the file
//! while the map is in use, touching a page past the file's new end raises SIGBUS, which
//! would kill dbglog with no word about why. Rust code cannot recover from inside the
//! fault (there is no safe way to unwind or jump out of a signal handler), so the honest
//! outcome is a clean stop: every live map is registered here with a ready-made message,
//! and a SIGBUS handler that finds the faulting address inside a registered map writes
//! `dbglog: FILE: the file shrank while it was being read` to stderr with write(2) and ends
//! the process with `_exit(2)`: exit status 2, like every other input error. Both calls
//! are async-signal-safe; the handler reads nothing but atomics and the message of the
//! map that faulted (which is alive: it is being read). A SIGBUS at any other address is
//! handed to the handler that was there before (or the default action).
//!
//! Output already written stays as it is; an `-o` file is never renamed into place (its
//! hidden temporary file may remain); output still in a buffer is lost.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// How many maps can be guarded at once. A map that finds no free slot is not made: the
/// caller reads the file into memory instead.
const SLOTS: usize = 64;

struct Slot {
    /// Start address of the map; 0 for a free slot. Written last when a slot is taken,
    /// first when it is freed.
    start: AtomicUsize,
    len: AtomicUsize,
    msg: AtomicPtr<u8>,
    msg_len: AtomicUsize,
    /// 1 while the slot is owned (taken before `start` is set).
    busy: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    msg: AtomicPtr::new(std::ptr::null_mut()),
    msg_len: AtomicUsize::new(0),
    busy: AtomicUsize::new(0),
};

static TABLE: [Slot; SLOTS] = [FREE; SLOTS];

/// The SIGBUS action that was installed before ours (`None` until ours is installed, or if
/// installing failed).
static PREVIOUS: OnceLock<Option<Previous>> = OnceLock::new();

struct Previous(libc::sigaction);

// SAFETY: a sigaction is plain data (a handler address, a mask and flags).
unsafe impl Send for Previous {}
unsafe impl Sync for Previous {}

/// The registration of one live map; dropped, the map is no longer guarded (drop it
/// before the map itself).
#[derive(Debug)]
pub struct Guard {
    slot: usize,
}

/// Guard the map `bytes` of the file called `name`. `None` when no guard can be had (all
/// slots in use, or the handler could not be installed): then the file should not be read
/// through a map.
pub fn protect(bytes: &[u8], name: &str) -> Option<Guard> {
    if bytes.is_empty() {
        return None;
    }
    PREVIOUS.get_or_init(install).as_ref()?;
    let slot = TABLE.iter().position(|s| {
        s.busy
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    })?;
    let msg = format!(
        "dbglog: {}: the file shrank while it was being read\n",
        crate::output::safe_text(name.as_bytes())
    )
    .into_bytes()
    .into_boxed_slice();
    let s = &TABLE[slot];
    s.msg_len.store(msg.len(), Ordering::Release);
    s.msg
        .store(Box::into_raw(msg) as *mut u8, Ordering::Release);
    s.len.store(bytes.len(), Ordering::Release);
    s.start.store(bytes.as_ptr() as usize, Ordering::Release);
    Some(Guard { slot })
}

impl Drop for Guard {
    fn drop(&mut self) {
        let s = &TABLE[self.slot];
        s.start.store(0, Ordering::Release);
        let p = s.msg.swap(std::ptr::null_mut(), Ordering::AcqRel);
        let n = s.msg_len.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: `p` and `n` come from the boxed slice leaked in `protect`; the handler
            // only reads the message of a map that is being read, and this one no longer is.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, n)) });
        }
        s.busy.store(0, Ordering::Release);
    }
}

fn install() -> Option<Previous> {
    // SAFETY: sigaction with a zeroed struct filled in here; the handler only calls
    // async-signal-safe functions (write, _exit, sigaction).
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_sigbus as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut act.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, &act, &mut old) != 0 {
            return None;
        }
        Some(Previous(old))
    }
}

extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel hands a valid siginfo to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    for s in &TABLE {
        let start = s.start.load(Ordering::Acquire);
        if start != 0 && addr >= start && addr - start < s.len.load(Ordering::Acquire) {
            let p = s.msg.load(Ordering::Acquire);
            let n = s.msg_len.load(Ordering::Acquire);
            // SAFETY: write(2) and _exit(2) are async-signal-safe; the message belongs to
            // the map being read, which is alive.
            unsafe {
                if !p.is_null() {
                    libc::write(2, p as *const libc::c_void, n);
                }
                libc::_exit(2);
            }
        }
    }
    // Not a guarded map: put the previous action back and return; the fault happens again
    // and gets that action (by default, death by SIGBUS).
    if let Some(Some(Previous(old))) = PREVIOUS.get() {
        // SAFETY: sigaction is async-signal-safe; `old` is the action saved at install.
        unsafe {
            libc::sigaction(libc::SIGBUS, old, std::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_and_given_back() {
        let a = vec![1u8; 10];
        let g: Vec<Guard> = (0..SLOTS).map_while(|_| protect(&a, "a.log")).collect();
        // Other tests may hold a few slots at the same time.
        assert!(g.len() > SLOTS / 2);
        drop(g);
        assert!(protect(&a, "a.log").is_some());
        assert!(protect(&[], "empty").is_none());
    }
}
