//! What every module built with this crate gets: a bump allocator and panics reported as WASM_TRAP with
//! their message.
use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32::{memory_grow, memory_size};

const PAGE: usize = 65536;

/// Never frees (but the most recent allocation): every invocation starts from a fresh instance, so
/// nothing outlives the call, as with AssemblyScript's stub runtime. Unlike std's dlmalloc it uses the
/// memory the module already has before growing it (an instance whose memory grew is not reused).
pub struct BumpAllocator;

// The next free byte; 0 until the first allocation. In linear memory, so reset with every invocation.
static mut NEXT: usize = 0;

extern "C" {
    // Set by the linker: where the heap starts, after the stack and static data.
    static __heap_base: u8;
}

unsafe fn reserve(end: usize) -> bool {
    let have = memory_size(0) * PAGE;
    if end <= have {
        return true;
    }
    // memory.grow past the declared maximum gives usize::MAX: a null allocation, std's handler traps,
    // and the engine reports MEMORY_LIMIT.
    memory_grow(0, (end - have + PAGE - 1) / PAGE) != usize::MAX
}

unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if NEXT == 0 {
            NEXT = &__heap_base as *const u8 as usize;
        }
        let start = (NEXT + layout.align() - 1) & !(layout.align() - 1);
        let end = match start.checked_add(layout.size()) {
            Some(end) => end,
            None => return core::ptr::null_mut(),
        };
        if !reserve(end) {
            return core::ptr::null_mut();
        }
        NEXT = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ptr as usize + layout.size() == NEXT {
            NEXT = ptr as usize;
        }
    }

    // A growing String or Vec that is the latest allocation grows in place.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as usize;
        if start + layout.size() == NEXT {
            let end = match start.checked_add(new_size) {
                Some(end) => end,
                None => return core::ptr::null_mut(),
            };
            if !reserve(end) {
                return core::ptr::null_mut();
            }
            NEXT = end;
            return ptr;
        }
        let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !new.is_null() {
            core::ptr::copy_nonoverlapping(ptr, new, core::cmp::min(layout.size(), new_size));
        }
        new
    }
}

/// Hands a panic's message to the host as a trap (`env.abort`, which takes an AssemblyScript string:
/// UTF-16LE after its byte length), so the caller sees WASM_TRAP "… aborted: panicked at …".
// (PanicInfo is PanicHookInfo from Rust 1.81 on, where the old name is deprecated but still works.)
#[allow(deprecated)]
fn report_panic(info: &std::panic::PanicInfo<'_>) {
    let message = info.to_string();
    // The host decodes at most 4096 bytes: 2048 UTF-16 units.
    let units: Vec<u16> = message.encode_utf16().take(2048).collect();
    let mut buf: Vec<u8> = Vec::with_capacity(4 + units.len() * 2);
    buf.extend_from_slice(&((units.len() * 2) as u32).to_le_bytes());
    for u in units {
        buf.extend_from_slice(&u.to_le_bytes());
    }
    unsafe { crate::sys::env_abort(buf.as_ptr().add(4), core::ptr::null(), 0, 0) };
}

/// Runs at the start of every exported function (the hook does not survive the invocation).
#[doc(hidden)]
pub fn enter() {
    std::panic::set_hook(Box::new(report_panic));
}
