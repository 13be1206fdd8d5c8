//! `Debug` output that never shows a credential: a request's URI without its query (which holds
//! `access_token` and the connection token `id`), and its headers by name only.

use std::fmt;

use axum::http::{HeaderMap, Uri};

/// A URI as `Debug` may show it: the path alone.
pub(crate) struct PathOnly<'a>(pub(crate) &'a Uri);

impl fmt::Debug for PathOnly<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.path(), f)
    }
}

/// Headers as `Debug` may show them: their names.
pub(crate) struct NamesOnly<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for NamesOnly<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.0.keys().map(|name| name.as_str()))
            .finish()
    }
}

/// Whether a secret is there, without what it is.
pub(crate) struct Presence(pub(crate) bool);

impl fmt::Debug for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "Some(<redacted>)" } else { "None" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neither_the_query_nor_header_values_are_shown() {
        let uri: Uri = "/hub?id=TOKEN&access_token=SECRET".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer SECRET".parse().unwrap());
        let shown = format!(
            "{:?} {:?} {:?}",
            PathOnly(&uri),
            NamesOnly(&headers),
            Presence(true)
        );
        assert_eq!(shown, "\"/hub\" {\"authorization\"} Some(<redacted>)");
    }
}
