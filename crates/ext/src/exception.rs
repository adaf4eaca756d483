//! `Sidecast\BroadcastException extends \RuntimeException`.
//!
//! Registered with `ClassBuilder` and no object handlers of its own: a `#[php_class]` exception
//! loses its file, line and trace and cannot be constructed or extended from PHP.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::builders::ClassBuilder;
use ext_php_rs::exception::PhpException;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::Zval;
use ext_php_rs::zend::{ClassEntry, ce};

pub const CLASS: &str = "Sidecast\\BroadcastException";

static BROADCAST_EXCEPTION: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());

pub fn register() -> ext_php_rs::error::Result<()> {
    ClassBuilder::new(CLASS)
        .extends((runtime_exception, "\\RuntimeException"))
        .registration(|class, _| BROADCAST_EXCEPTION.store(class, Ordering::Release))
        .register()
}

unsafe extern "C" {
    // ext/spl/spl_exceptions.h; SPL is always compiled in and starts before any loadable
    // extension. The class table cannot be searched by name this early in start-up.
    static spl_ce_RuntimeException: *mut ClassEntry;
}

/// SPL's `RuntimeException`.
fn runtime_exception() -> &'static ClassEntry {
    // SAFETY: SPL sets this pointer in its own start-up, before ours, and never changes it.
    unsafe { spl_ce_RuntimeException.as_ref() }.unwrap_or_else(ce::exception)
}

/// A `Sidecast\BroadcastException` with `message`.
pub fn broadcast_exception(message: String) -> PhpException {
    let class = BROADCAST_EXCEPTION.load(Ordering::Acquire);
    // SAFETY: PHP keeps registered class entries for the life of the process.
    let class = unsafe { class.as_ref() }.unwrap_or_else(runtime_exception);
    PhpException::new(message, 0, class)
}

/// A `\ValueError`: the caller passed an argument PHP's types allow but sidecast cannot use.
pub fn value_error(message: String) -> PhpException {
    PhpException::new(message, 0, ce::value_error())
}

/// A value's type as PHP's own messages name it (`get_debug_type()` without class names).
pub fn php_type_name(value: &Zval) -> &'static str {
    match value.get_type() {
        DataType::Null | DataType::Undef => "null",
        DataType::True | DataType::False | DataType::Bool => "bool",
        DataType::Long => "int",
        DataType::Double => "float",
        DataType::String => "string",
        DataType::Array => "array",
        DataType::Resource => "resource",
        _ => "object",
    }
}
