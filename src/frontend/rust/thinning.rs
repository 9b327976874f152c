//! Large data literals, thinned before parsing. A generated table (an
//! array of 65,535 tuples in one `static`) costs syn over a hundred bytes a
//! token, hundreds of megabytes for one file, and holds nothing to follow.
//! An array literal that large naming no word of the vocabulary is blanked
//! to spaces before parsing, its brackets kept, so that the file parses to
//! the same items at the same offsets with an empty array there.

/// Array literals (`[..]`) at least this long are thinned. Hand-written
/// code never has one; generated tables have many times more.
const THINNED_LENGTH: usize = 64 * 1024;

/// The text with every large array literal that names nothing of the
/// vocabulary (no offset of `named_at` inside it) blanked, or `None` when
/// there is none. Newlines stay, so lines and byte offsets are unchanged.
pub(super) fn thin_large_arrays(text: &str, named_at: &[u32]) -> Option<String> {
    if text.len() < THINNED_LENGTH {
        return None;
    }
    let blanked = large_arrays(text.as_bytes())
        .into_iter()
        .filter(|&(open, close)| {
            let first = named_at.partition_point(|&at| (at as usize) < open);
            named_at.get(first).is_none_or(|&at| at as usize > close)
        })
        .collect::<Vec<_>>();
    if blanked.is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for (open, close) in blanked {
        for byte in &mut bytes[open + 1..close] {
            if !matches!(*byte, b'\n' | b'\r') {
                *byte = b' ';
            }
        }
    }
    // Only whole ranges of bytes became ASCII spaces.
    String::from_utf8(bytes).ok()
}

/// The outermost `[`..`]` pairs at least `THINNED_LENGTH` long, by their
/// brackets' offsets, skipping comments and string, byte-string and
/// character literals. Unbalanced or unterminated text gives what was
/// found before it: syn reports the error itself.
fn large_arrays(text: &[u8]) -> Vec<(usize, usize)> {
    let mut found: Vec<(usize, usize)> = Vec::new();
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut at = 0;
    while at < text.len() {
        match text[at] {
            b'/' if text.get(at + 1) == Some(&b'/') => {
                at = after_line(text, at);
                continue;
            }
            b'/' if text.get(at + 1) == Some(&b'*') => {
                at = block_comment_end(text, at);
                continue;
            }
            b'"' => {
                at = quoted_end(text, at + 1, b'"');
                continue;
            }
            b'r' | b'b' | b'c' if !ident_byte(text, at.wrapping_sub(1)) => {
                if let Some(end) = raw_or_byte_string_end(text, at) {
                    at = end;
                    continue;
                }
            }
            b'\'' => {
                at = char_literal_end(text, at);
                continue;
            }
            b'(' | b'[' | b'{' => open.push((text[at], at)),
            b')' | b']' | b'}' => {
                let Some((kind, start)) = open.pop() else {
                    return found;
                };
                if kind == b'[' && text[at] == b']' && at - start >= THINNED_LENGTH {
                    // Arrays inside this one were found first: keep the
                    // outermost only.
                    found.retain(|&(inner, _)| inner < start);
                    found.push((start, at));
                }
            }
            _ => {}
        }
        at += 1;
    }
    found
}

fn ident_byte(text: &[u8], at: usize) -> bool {
    text.get(at)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80)
}

/// After the line `from` is on (a `//` comment's end).
fn after_line(text: &[u8], from: usize) -> usize {
    text[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| from + p + 1)
}

/// After a `/* .. */` comment, which nests in Rust.
fn block_comment_end(text: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut at = from;
    while at + 1 < text.len() {
        match (text[at], text[at + 1]) {
            (b'/', b'*') => {
                depth += 1;
                at += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                at += 2;
                if depth == 0 {
                    return at;
                }
            }
            _ => at += 1,
        }
    }
    text.len()
}

/// After a quoted literal whose body starts at `from`, with `\` escapes.
fn quoted_end(text: &[u8], from: usize, quote: u8) -> usize {
    let mut at = from;
    while at < text.len() {
        match text[at] {
            b'\\' => at += 2,
            b if b == quote => return at + 1,
            _ => at += 1,
        }
    }
    text.len()
}

/// After `r".."`, `r#".."#`, `b".."`, `br#".."#`, `b'x'`, `c".."`, `cr".."`
/// starting at `from`; `None` when the text there is an identifier.
fn raw_or_byte_string_end(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    if matches!(text[at], b'b' | b'c') {
        at += 1;
        match text.get(at) {
            Some(b'"') => return Some(quoted_end(text, at + 1, b'"')),
            Some(b'\'') if text[from] == b'b' => return Some(quoted_end(text, at + 1, b'\'')),
            Some(b'r') => {}
            _ => return None,
        }
    }
    at += 1; // the `r`
    let hashes = text[at..].iter().take_while(|&&b| b == b'#').count();
    at += hashes;
    if text.get(at) != Some(&b'"') {
        return None;
    }
    at += 1;
    while at < text.len() {
        if text[at] == b'"'
            && text[at + 1..]
                .iter()
                .take(hashes)
                .filter(|&&b| b == b'#')
                .count()
                == hashes
        {
            return Some(at + 1 + hashes);
        }
        at += 1;
    }
    Some(text.len())
}

/// After a character literal (`'x'`, `'\n'`, `'\u{1F600}'`, `'é'`), or
/// just after the quote of a lifetime or label (`'a`, `'outer:`).
fn char_literal_end(text: &[u8], from: usize) -> usize {
    match text.get(from + 1) {
        Some(b'\\') => quoted_end(text, from + 1, b'\''),
        Some(_) => {
            // One character, of one to four bytes, then the closing quote.
            let width = text[from + 1..]
                .iter()
                .skip(1)
                .take_while(|&&b| (0x80..0xC0).contains(&b))
                .count()
                + 1;
            if text.get(from + 1 + width) == Some(&b'\'') {
                from + 2 + width
            } else {
                from + 1
            }
        }
        None => text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize) -> String {
        let mut text = String::from("// a table\nstatic T: [(i32, &str); 0] = [\n");
        for row in 0..rows {
            text.push_str(&format!("    ({row}, \"a ] b [ '\"), // ] [\n"));
        }
        text.push_str("];\n\nfn main() { let c = '['; let l: &'static str = r#\"]\"#; }\n");
        text
    }

    #[test]
    fn a_large_table_is_blanked_and_keeps_its_lines_and_offsets() {
        let text = table(4_000);
        let thinned = thin_large_arrays(&text, &[]).expect("thinned");
        assert_eq!(thinned.len(), text.len());
        assert_eq!(thinned.lines().count(), text.lines().count());
        let open = text.find("= [").unwrap() + 2;
        assert_eq!(&thinned[..=open], &text[..=open]);
        let main = text.find("fn main").unwrap();
        assert_eq!(&thinned[main..], &text[main..]);
        assert!(thinned[open + 1..main].trim_start().starts_with("];"));
        assert!(syn::parse_str::<syn::File>(&thinned).is_ok());
    }

    #[test]
    fn a_table_that_names_the_vocabulary_or_is_small_stays() {
        let text = table(4_000);
        let inside = text.find("(7,").unwrap() as u32;
        assert_eq!(thin_large_arrays(&text, &[inside]), None);
        let before = text.find("static").unwrap() as u32;
        assert!(thin_large_arrays(&text, &[before]).is_some());
        assert_eq!(thin_large_arrays(&table(10), &[]), None);
    }

    #[test]
    fn unbalanced_or_unterminated_text_is_left_to_the_parser() {
        let mut text = table(4_000);
        text.push_str("fn broken() { let s = \"never closed");
        assert!(thin_large_arrays(&text, &[]).is_some());
        assert_eq!(
            thin_large_arrays(&"]".repeat(THINNED_LENGTH + 1), &[]),
            None
        );
        assert_eq!(
            thin_large_arrays(&"'".repeat(THINNED_LENGTH + 1), &[]),
            None
        );
    }
}
