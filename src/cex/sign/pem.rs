//! PEM text to DER bytes, for the private keys venues hand out: multi-line, or on one line with
//! `\n` escapes (as Coinbase's key JSON and environment variables carry them).

use base64::Engine;
use zeroize::Zeroizing;

use super::credentials::CredentialsError;

/// One decoded PEM block: its label (`PRIVATE KEY`, `EC PRIVATE KEY`) and the DER it holds.
pub(crate) struct PemBlock {
    pub label: String,
    pub der: Zeroizing<Vec<u8>>,
}

/// Whether `text` looks like a PEM key rather than an HMAC secret.
pub fn looks_like_pem(text: &str) -> bool {
    text.trim_start().starts_with("-----BEGIN ")
}

/// Decodes the first PEM block of `text`. Literal `\n` (and `\r\n`) escapes count as line breaks.
/// Errors never quote the text.
pub(crate) fn decode_pem(text: &str) -> Result<PemBlock, CredentialsError> {
    let text = Zeroizing::new(text.replace("\\r\\n", "\n").replace("\\n", "\n"));
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let label = lines
        .next()
        .and_then(|l| l.strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or(CredentialsError::BadPem("no -----BEGIN line"))?
        .to_string();
    let end = format!("-----END {label}-----");
    let mut body = Zeroizing::new(String::new());
    let mut ended = false;
    for line in lines {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') {
            return Err(CredentialsError::BadPem(
                "encrypted PEM keys are not supported",
            ));
        }
        body.push_str(line);
    }
    if !ended {
        return Err(CredentialsError::BadPem("no matching -----END line"));
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| CredentialsError::BadPem("the body is not base64"))?;
    Ok(PemBlock {
        label,
        der: Zeroizing::new(der),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_and_escaped_forms_decode_alike() {
        let multi = "-----BEGIN EC PRIVATE KEY-----\nAAEC\nAwQF\n-----END EC PRIVATE KEY-----\n";
        let one = "-----BEGIN EC PRIVATE KEY-----\\nAAEC\\nAwQF\\n-----END EC PRIVATE KEY-----\\n";
        for t in [multi, one, &multi.replace('\n', "\r\n")] {
            let b = decode_pem(t).unwrap();
            assert_eq!(b.label, "EC PRIVATE KEY");
            assert_eq!(b.der.as_slice(), &[0, 1, 2, 3, 4, 5]);
        }
        assert!(looks_like_pem(one) && !looks_like_pem("NhqPtmdSJYdK"));
    }

    #[test]
    fn malformed_pem_is_refused_without_quoting_it() {
        let cases = [
            "AAEC",
            "-----BEGIN PRIVATE KEY-----\nAAEC\n",
            "-----BEGIN PRIVATE KEY-----\nAA!C\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END EC PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAEC\n-----END EC PRIVATE KEY-----",
        ];
        for c in cases {
            let e = decode_pem(c).err().unwrap().to_string();
            assert!(!e.contains("AAEC") && !e.contains("AA!C"), "{e}");
        }
    }
}
