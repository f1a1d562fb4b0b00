//! BIP-39 mnemonics (English word list): generation from the OS RNG, validation that says which
//! word (by position, never by content) is not in the list or that the checksum failed, and the seed
//! with an optional passphrase. Input and passphrase are normalized to NFKD as BIP-39 requires.

use std::fmt;

use rand::rngs::OsRng;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::secret::SecretString;

/// Why a phrase is not a valid mnemonic. No variant carries any word of the phrase: a mistyped
/// word is usually one letter away from the real one, so echoing it would print most of a secret.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MnemonicError {
    #[error("mnemonic has {0} words; expected 12, 15, 18, 21 or 24")]
    WordCount(usize),
    #[error("word {position} of {count} is not in the BIP-39 English word list")]
    UnknownWord { position: usize, count: usize },
    #[error(
        "the checksum of the {count} words failed: every word is in the list, but one is mistyped \
         as another list word, or the words are out of order"
    )]
    BadChecksum { count: usize },
    #[error("could not generate a mnemonic: {0}")]
    Generate(String),
}

/// Number of words of a generated mnemonic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordCount {
    Twelve,
    TwentyFour,
}

impl WordCount {
    pub fn words(self) -> usize {
        match self {
            WordCount::Twelve => 12,
            WordCount::TwentyFour => 24,
        }
    }
}

/// A valid BIP-39 mnemonic. Zeroized on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct Mnemonic(bip39::Mnemonic);

/// A 64-byte BIP-39 seed, zeroized on drop.
pub struct Seed(Zeroizing<[u8; 64]>);

impl Seed {
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed([redacted])")
    }
}

impl Mnemonic {
    /// A fresh mnemonic from the operating system's RNG.
    pub fn generate(count: WordCount) -> Result<Self, MnemonicError> {
        bip39::Mnemonic::generate_in_with(&mut OsRng, bip39::Language::English, count.words())
            .map(Self)
            .map_err(|e| MnemonicError::Generate(e.to_string()))
    }

    /// Parses a phrase: NFKD-normalized, case-insensitive, any whitespace between words.
    pub fn parse(phrase: &str) -> Result<Self, MnemonicError> {
        let decomposed = nfkd(phrase);
        let normalized: Zeroizing<String> = Zeroizing::new(decomposed.to_lowercase());
        let words: Vec<&str> = normalized.split_whitespace().collect();
        if ![12, 15, 18, 21, 24].contains(&words.len()) {
            return Err(MnemonicError::WordCount(words.len()));
        }
        let count = words.len();
        let language = bip39::Language::English;
        if let Some(i) = words.iter().position(|w| language.find_word(w).is_none()) {
            return Err(MnemonicError::UnknownWord {
                position: i + 1,
                count,
            });
        }
        let joined = Zeroizing::new(words.join(" "));
        bip39::Mnemonic::parse_in_normalized(language, &joined)
            .map(Self)
            .map_err(|e| match e {
                bip39::Error::BadWordCount(n) => MnemonicError::WordCount(n),
                bip39::Error::UnknownWord(i) => MnemonicError::UnknownWord {
                    position: i + 1,
                    count,
                },
                _ => MnemonicError::BadChecksum { count },
            })
    }

    /// Builds the mnemonic of given entropy (16 to 32 bytes, a multiple of 4).
    pub fn from_entropy(entropy: &[u8]) -> Result<Self, MnemonicError> {
        bip39::Mnemonic::from_entropy_in(bip39::Language::English, entropy)
            .map(Self)
            .map_err(|e| MnemonicError::Generate(e.to_string()))
    }

    /// The phrase, words separated by single spaces.
    pub fn phrase(&self) -> Zeroizing<String> {
        // Sized up front: growing would leave unwiped copies of the words behind.
        let len = self.0.words().map(|w| w.len() + 1).sum();
        let mut out = Zeroizing::new(String::with_capacity(len));
        for (i, w) in self.0.words().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(w);
        }
        out
    }

    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The BIP-39 seed: PBKDF2-HMAC-SHA512(phrase, "mnemonic" + NFKD(passphrase), 2048).
    pub fn to_seed(&self, passphrase: &SecretString) -> Seed {
        let normalized = nfkd(passphrase.expose());
        Seed(Zeroizing::new(self.0.to_seed_normalized(&normalized)))
    }
}

/// NFKD of a secret, in a buffer sized up front (NFKD rarely grows text by more than 3×), so that
/// collecting it does not leave unwiped partial copies behind.
fn nfkd(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len().saturating_mul(3)));
    out.extend(text.nfkd());
    out
}

// bip39's `Mnemonic` wipes its words on drop (its `zeroize` feature); a `Seed` is `Zeroizing`.
impl ZeroizeOnDrop for Mnemonic {}
impl ZeroizeOnDrop for Seed {}

impl fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mnemonic([redacted], {} words)", self.word_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "test test test test test test test test test test test junk";

    #[test]
    fn generates_valid_phrases_of_both_lengths() {
        for count in [WordCount::Twelve, WordCount::TwentyFour] {
            let m = Mnemonic::generate(count).unwrap();
            assert_eq!(m.word_count(), count.words());
            let again = Mnemonic::parse(&m.phrase()).unwrap();
            assert_eq!(again.phrase(), m.phrase());
        }
        let a = Mnemonic::generate(WordCount::Twelve).unwrap();
        let b = Mnemonic::generate(WordCount::Twelve).unwrap();
        assert_ne!(a.phrase(), b.phrase());
    }

    #[test]
    fn parse_normalizes_case_and_spacing() {
        let m =
            Mnemonic::parse("  Test TEST test\ttest test test test test test test test\n junk ")
                .unwrap();
        assert_eq!(&*m.phrase(), VALID);
    }

    #[test]
    fn unknown_word_is_located_never_echoed() {
        let err = Mnemonic::parse("test test test test tset test test test test test test junk")
            .unwrap_err();
        assert_eq!(
            err,
            MnemonicError::UnknownWord {
                position: 5,
                count: 12
            }
        );
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(text.contains("5") && text.contains("12"), "{text}");
            for word in ["tset", "test", "junk"] {
                assert!(!text.contains(word), "{text}");
            }
        }
        assert!(err.to_string().contains("word 5 of 12"), "{err}");
        // The first unknown word is the one reported, in a 24-word phrase too.
        let long = format!(
            "{} abandonx {}",
            ["abandon"; 20].join(" "),
            ["art"; 3].join(" ")
        );
        let err = Mnemonic::parse(&long).unwrap_err();
        assert_eq!(err.to_string().split(" is").next(), Some("word 21 of 24"));
        assert!(!err.to_string().contains("abandon"), "{err}");
    }

    #[test]
    fn bad_checksum_and_count() {
        let err = Mnemonic::parse("test test test test test test test test test test test test")
            .unwrap_err();
        assert_eq!(err, MnemonicError::BadChecksum { count: 12 });
        let text = format!("{err} {err:?}");
        assert!(text.contains("checksum of the 12 words failed"), "{text}");
        assert!(!text.contains("test"), "{text}");
        assert_eq!(
            Mnemonic::parse("test test test").unwrap_err(),
            MnemonicError::WordCount(3)
        );
    }

    #[test]
    fn debug_is_redacted() {
        let m = Mnemonic::parse(VALID).unwrap();
        let s = format!("{m:?} {:?}", m.to_seed(&SecretString::default()));
        assert!(!s.contains("test"), "{s}");
        assert!(!s.contains("junk"), "{s}");
    }

    #[test]
    fn passphrase_is_nfkd_normalized() {
        let m = Mnemonic::parse(VALID).unwrap();
        // "é" precomposed (NFC) and decomposed (NFD) give the same seed.
        let nfc = m.to_seed(&SecretString::from("caf\u{e9}"));
        let nfd = m.to_seed(&SecretString::from("cafe\u{301}"));
        assert_eq!(nfc.as_bytes(), nfd.as_bytes());
        assert_ne!(
            nfc.as_bytes(),
            m.to_seed(&SecretString::default()).as_bytes()
        );
    }
}
