//! The `sidecast.socket` php.ini directive: the socket `new Sidecast\Broadcaster()` uses when
//! it is given none.

use std::ffi::{CStr, c_char, c_int};

use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::zend::{IniEntryDef, IniEntryDefs};

const SOCKET: &CStr = c"sidecast.socket";
const DEFAULT_SOCKET: &CStr = c"/tmp/sidecast.sock";

// The C string above must say what the wire crate documents as the default.
const _: () = assert!(same_bytes(
    DEFAULT_SOCKET.to_bytes(),
    sidecast_wire::DEFAULT_SOCKET_PATH.as_bytes()
));

static ENTRIES: IniEntryDefs<2> = IniEntryDefs::new([
    IniEntryDef::new(SOCKET, DEFAULT_SOCKET, IniEntryPermission::All),
    IniEntryDef::end(),
]);

unsafe extern "C" {
    // Zend/zend_ini.h. ext-php-rs offers only a getter that copies every directive.
    fn zend_ini_string_ex(
        name: *const c_char,
        name_length: usize,
        orig: c_int,
        exists: *mut bool,
    ) -> *mut c_char;
}

pub fn register(module_number: i32) {
    IniEntryDef::register(ENTRIES.as_slice(), module_number);
}

/// The current value of `sidecast.socket` (after `-d`, php.ini, `ini_set()`).
pub fn socket_path() -> String {
    let mut exists = false;
    // SAFETY: the name is a NUL-terminated literal and its length excludes the NUL; PHP returns
    // null or a NUL-terminated string it owns, which is copied before anything can change it.
    let value =
        unsafe { zend_ini_string_ex(SOCKET.as_ptr(), SOCKET.count_bytes(), 0, &raw mut exists) };
    if value.is_null() || !exists {
        return sidecast_wire::DEFAULT_SOCKET_PATH.to_owned();
    }
    // SAFETY: see above.
    unsafe { CStr::from_ptr(value) }
        .to_string_lossy()
        .into_owned()
}

const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
