//! Secrets out of text: endpoint URLs often carry API keys (in the path, the query or the user
//! part), and HTTP clients quote the URL they failed on. One place reduces a URL to scheme, host
//! and port ([`redact_url`]), scrubs every form of a known URL from a message ([`scrub_url`]), and
//! redacts every URL found in free text ([`redact_urls`]); errors and logs of the chain, AMM and
//! exchange layers go through it.

/// An RPC URL reduced to scheme, host and port: paths and queries often hold API keys.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("?");
            let hidden = u.path().len() > 1 || u.query().is_some() || !u.username().is_empty();
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{host}{port}{}",
                u.scheme(),
                if hidden { "/…" } else { "" }
            )
        }
        Err(_) => "<invalid url>".to_string(),
    }
}

/// `text` with every form of `url` (whole, normalised, path, query) replaced by its scheme and
/// host: the path or query can carry a credential.
pub fn scrub_url(text: &str, url: &str) -> String {
    let shown = redact_url(url);
    let mut forms = vec![url.to_string()];
    if let Ok(u) = url::Url::parse(url) {
        forms.push(u.to_string());
        forms.extend(u.query().map(str::to_string));
        if u.path().len() > 1 {
            forms.push(u.path().to_string());
            forms.extend(
                u.path_segments()
                    .into_iter()
                    .flatten()
                    .filter(|seg| seg.len() >= 16)
                    .map(str::to_string),
            );
        }
    }
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = text.to_string();
    for f in forms.iter().filter(|f| !f.is_empty()) {
        out = out.replace(f.as_str(), &shown);
    }
    out
}

/// Characters that end a URL quoted in an error message.
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ')' | '(' | '"' | '\'' | '<' | '>' | '`' | ',' | ';' | '[' | ']' | '{' | '}'
        )
}

/// `text` with every `scheme://…` URL in it replaced by its [`redact_url`] form.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let scheme_start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(at, |(i, _)| i);
        let end = rest[at + 3..]
            .find(ends_url)
            .map_or(rest.len(), |i| at + 3 + i);
        out.push_str(&rest[..scheme_start]);
        let candidate = &rest[scheme_start..end];
        if scheme_start == at {
            // "://" with no scheme before it: not a URL we can parse; hide what follows anyway.
            out.push_str("://…");
        } else {
            out.push_str(&redact_url(candidate.trim_end_matches(['.', ':'])));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
