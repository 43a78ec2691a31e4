//! Ctrl-C and SIGTERM: remembered in a flag, so that running children are stopped in order
//! and temporary databases dropped instead of the process dying mid-way.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Installs the handlers (children get the default disposition back at `exec`).
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Whether Ctrl-C (or SIGTERM) arrived.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
