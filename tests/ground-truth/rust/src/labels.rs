//! The `//~` labels of a fixture, per function.

use std::collections::BTreeSet;

/// A function of a fixture file, as its text declares it.
#[derive(Debug)]
pub struct Function {
    /// `name`, or `name#2` for the second function of that name in the file.
    pub key: String,
    pub codes: BTreeSet<String>,
}

/// Every `fn` of `text`, in order, with the codes labelled on its lines.
///
/// A label belongs to the last `fn` declared at or before its line: the
/// fixtures do not nest functions, and a closure is part of its function.
/// A macro invocation that starts a line with a name (`job!(name, ..`)
/// declares that function, as the fixtures' own `macro_rules!` do.
pub fn functions(text: &str) -> Vec<Function> {
    let mut found: Vec<Function> = Vec::new();
    for line in text.lines() {
        let code_part = line.split("//").next().unwrap_or_default();
        if let Some(name) = declared_fn(code_part) {
            let seen = found
                .iter()
                .filter(|f| f.key == name || f.key.starts_with(&format!("{name}#")))
                .count();
            let key = if seen == 0 {
                name.to_string()
            } else {
                format!("{name}#{}", seen + 1)
            };
            found.push(Function {
                key,
                codes: BTreeSet::new(),
            });
        }
        if let Some((_, label)) = line.split_once("//~")
            && let Some(current) = found.last_mut()
        {
            current
                .codes
                .extend(label.split_whitespace().map(str::to_string));
        }
    }
    found
}

fn declared_fn(code: &str) -> Option<&str> {
    // A function made by the file's own macro: `job!(name, ..` or
    // `job!(pub name, ..` at the start of a line.
    let ident = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || c == '_');
    if let Some((mac, args)) = code.trim_start().split_once("!(")
        && ident(mac)
    {
        let first = args.split(',').next().unwrap_or_default().trim();
        let name = first.strip_prefix("pub ").unwrap_or(first).trim();
        if ident(name) {
            return Some(name);
        }
    }
    let mut words = code.split(|c: char| !(c.is_alphanumeric() || c == '_'));
    while let Some(word) = words.next() {
        if word == "fn" {
            let name = words.find(|w| !w.is_empty())?;
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_go_to_the_enclosing_function() {
        let text = "fn a() {}\nasync fn b() { //~ TX005\n  x(); //~ TX001 TX004\n}\n// fn c() in a comment\nfn b() {}\njob!(d, s, {\n  y(); //~ TX002\n});\n";
        let fns = functions(text);
        let keys: Vec<_> = fns.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "b#2", "d"]);
        assert_eq!(fns[3].codes.iter().collect::<Vec<_>>(), ["TX002"]);
        assert!(fns[0].codes.is_empty());
        assert_eq!(
            fns[1].codes.iter().collect::<Vec<_>>(),
            ["TX001", "TX004", "TX005"]
        );
        assert!(fns[2].codes.is_empty());
    }
}
