//! Arbitrary bytes, read as a TypeScript file, must never make the analyzer
//! panic (a panic aborts the process and libFuzzer keeps the input).

#![no_main]

use libfuzzer_sys::fuzz_target;
use txlint::source::SourceFile;

/// The CLI analyses on threads with a 256 MiB stack; deep nesting that it
/// handles must not be reported as a crash here.
const ANALYSIS_STACK_BYTES: usize = 256 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = SourceFile {
        path: "fuzz.ts".into(),
        text: text.to_owned(),
    };
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(ANALYSIS_STACK_BYTES)
            .spawn_scoped(scope, || txlint::check_source(&source))
            .expect("the analysis thread starts")
            .join()
            .expect("the analysis does not panic");
    });
});
