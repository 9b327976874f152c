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
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WordKind {
    Alone,
    Paired,
    Partner,
}

impl Prefilter {
    pub(crate) fn new(drivers: &Drivers) -> Prefilter {
        Prefilter {
            typescript: WordTest::new(drivers.prefilter_words(Language::TypeScript { tsx: false })),
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
        let words = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(patterns)
            .expect("the prefilter words form a valid automaton");
        WordTest { words, kinds }
    }

    /// Whether `bytes` hold a word that stands alone, or a paired word and
    /// a partner of it. Overlapping matches, so that no word hides
    /// another that shares its letters.
    fn passes(&self, bytes: &[u8]) -> bool {
        // Most files hold no word at all; a plain search says so fastest.
        if !self.words.is_match(bytes) {
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
