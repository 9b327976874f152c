//! The cheap byte scan between reading a file and parsing it: a file that
//! holds none of the words any finding needs (see `PrefilterWords`) is not
//! parsed.

use crate::drivers::{self, Drivers};
use crate::source::Language;

/// The words any finding needs, per language (see `PrefilterWords`); files
/// without them are not parsed.
pub(crate) struct Prefilter {
    typescript: WordTest,
    rust: WordTest,
}

/// One language's `PrefilterWords` in one automaton.
struct WordTest {
    words: aho_corasick::AhoCorasick,
    /// What each pattern of `words` is, by pattern index.
    kinds: Vec<WordKind>,
    /// The same words for a vectorised search of lowercased text: most
    /// files hold none of them, and this says so about three times faster
    /// than `words`. `None` where the processor or the words do not allow
    /// it.
    any_word: Option<AnyWord>,
}

/// A search for any of the words (lowercase) in text lowercased a chunk at
/// a time.
struct AnyWord {
    searcher: aho_corasick::packed::Searcher,
    /// How far chunks overlap, so that no word is cut in two.
    overlap: usize,
}

/// The bytes lowercased at a time by `AnyWord`.
const CHUNK: usize = 16 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum WordKind {
    Alone,
    Paired,
    Partner,
}

impl Prefilter {
    pub(crate) fn new(drivers: &Drivers) -> Prefilter {
        Prefilter {
            typescript: WordTest::new(drivers.prefilter_words(Language::TypeScript {
                tsx: false,
                declaration: false,
            })),
            rust: WordTest::new(drivers.prefilter_words(Language::Rust)),
        }
    }

    pub(crate) fn may_report(&self, language: Language, bytes: &[u8]) -> bool {
        match language {
            Language::Rust => self.rust.passes(bytes),
            Language::TypeScript { .. } | Language::JavaScript { .. } => {
                self.typescript.passes(bytes)
            }
        }
    }
}

impl WordTest {
    fn new(words: drivers::PrefilterWords) -> WordTest {
        let kinds = [
            (WordKind::Alone, words.alone),
            (WordKind::Paired, words.paired),
            (WordKind::Partner, words.partners),
        ];
        let (kinds, patterns): (Vec<WordKind>, Vec<String>) = kinds
            .into_iter()
            .flat_map(|(kind, words)| words.into_iter().map(move |word| (kind, word)))
            .unzip();
        let longest = patterns.iter().map(String::len).max().unwrap_or(0);
        let any_word = aho_corasick::packed::Config::new()
            .builder()
            .extend(&patterns)
            .build()
            .filter(|_| longest < CHUNK / 2)
            .map(|searcher| AnyWord {
                searcher,
                overlap: longest.saturating_sub(1),
            });
        let words = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(patterns)
            .expect("the prefilter words form a valid automaton");
        WordTest {
            words,
            kinds,
            any_word,
        }
    }

    /// Whether `bytes` hold any of the words, in any case.
    fn holds_a_word(&self, bytes: &[u8]) -> bool {
        let Some(any_word) = &self.any_word else {
            return self.words.is_match(bytes);
        };
        // Filled, not zeroed first: zeroing a whole chunk for every file
        // cost more than lowercasing a small file.
        let mut lowered = Vec::with_capacity(CHUNK.min(bytes.len()));
        let mut start = 0;
        loop {
            let end = (start + CHUNK).min(bytes.len());
            lowered.clear();
            lowered.extend(bytes[start..end].iter().map(u8::to_ascii_lowercase));
            if any_word.searcher.find(&lowered).is_some() {
                return true;
            }
            if end == bytes.len() {
                return false;
            }
            start = end - any_word.overlap;
        }
    }

    /// Whether `bytes` hold a word that stands alone, or a paired word and
    /// a partner of it. Overlapping matches, so that no word hides
    /// another that shares its letters.
    fn passes(&self, bytes: &[u8]) -> bool {
        // Most files hold no word at all; a plain search says so fastest.
        if !self.holds_a_word(bytes) {
            return false;
        }
        let (mut paired, mut partner) = (false, false);
        for found in self.words.find_overlapping_iter(bytes) {
            match self.kinds[found.pattern().as_usize()] {
                WordKind::Alone => return true,
                WordKind::Paired => paired = true,
                WordKind::Partner => partner = true,
            }
            if paired && partner {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorised search finds what the automaton finds: in any case,
    /// across the seams between chunks, and nothing in text without words.
    #[test]
    fn any_word_agrees_with_the_automaton() {
        let test = WordTest::new(Drivers::builtin().prefilter_words(Language::Rust));
        assert!(test.any_word.is_some() || cfg!(not(target_arch = "x86_64")));
        let filler = "let x = 1; // nothing here\n";
        let mut texts = vec![String::new(), filler.repeat(2000)];
        for word in ["BEGIN", "Transaction<'_", "txlint-ignore"] {
            // A word at each offset around a seam between chunks.
            for shift in 0..word.len() + 1 {
                let at = CHUNK - shift;
                let mut text = "x".repeat(at);
                text.push_str(word);
                text.push_str(&"y".repeat(CHUNK));
                texts.push(text);
            }
        }
        for text in &texts {
            let bytes = text.as_bytes();
            assert_eq!(
                test.holds_a_word(bytes),
                test.words.is_match(bytes),
                "{} bytes",
                bytes.len()
            );
        }
        assert!(!test.holds_a_word(texts[1].as_bytes()));
        assert!(texts[2..].iter().all(|t| test.holds_a_word(t.as_bytes())));
    }
}
