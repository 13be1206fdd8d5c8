//! Query parameters, matched by name ignoring ASCII case as ASP.NET Core does.

use std::borrow::Cow;

/// The value of the first query parameter called `name` (any case), percent-decoded.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            decode(key)
                .eq_ignore_ascii_case(name)
                .then(|| decode(value).into_owned())
        })
        .next()
}

/// Decodes `%XX` escapes and `+`; leaves malformed escapes as they are.
fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains(['%', '+']) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&first, tail)) = rest.split_first() {
        match first {
            b'+' => {
                out.push(b' ');
                rest = tail;
            }
            b'%' => match tail {
                [high, low, after @ ..] if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                    out.push(hex(*high) << 4 | hex(*low));
                    rest = after;
                }
                _ => {
                    out.push(b'%');
                    rest = tail;
                }
            },
            other => {
                out.push(other);
                rest = tail;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_ignoring_case() {
        let query = Some("NegotiateVersion=1&id=abc");
        assert_eq!(query_param(query, "negotiateVersion").as_deref(), Some("1"));
        assert_eq!(query_param(query, "ID").as_deref(), Some("abc"));
        assert_eq!(query_param(query, "missing"), None);
        assert_eq!(query_param(None, "id"), None);
    }

    #[test]
    fn values_are_percent_decoded() {
        let query = Some("id=a%2Bb%3D&x=1+2&bad=%zz");
        assert_eq!(query_param(query, "id").as_deref(), Some("a+b="));
        assert_eq!(query_param(query, "x").as_deref(), Some("1 2"));
        assert_eq!(query_param(query, "bad").as_deref(), Some("%zz"));
    }
}
