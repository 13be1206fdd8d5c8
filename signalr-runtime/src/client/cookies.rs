//! The cookies of one connection, kept across negotiate, its transports and its reconnects, as
//! the official clients keep them: a load balancer's affinity cookie (set on negotiate) then
//! brings every later request of the connection to the same server.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::{HeaderMap, HeaderValue, header};
use cookie_store::CookieStore;

use super::url::HubUrl;

/// A connection's cookie jar; clones share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Jar(Arc<Mutex<CookieStore>>);

impl Jar {
    fn store(&self) -> MutexGuard<'_, CookieStore> {
        // Each change is one insertion: a poisoned lock holds a consistent store.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The `Cookie` header for a request to `url`, if any cookie matches it.
    pub(crate) fn header_for(&self, url: &HubUrl) -> Option<HeaderValue> {
        let store = self.store();
        // Most servers set no cookie: their requests skip the URL parsing below.
        store.iter_any().next()?;
        let url = url::Url::parse(&url.to_string()).ok()?;
        let pairs: Vec<String> = store
            .get_request_values(&url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        drop(store);
        if pairs.is_empty() {
            return None;
        }
        HeaderValue::from_str(&pairs.join("; ")).ok()
    }

    /// Keeps the cookies that the response to a request to `url` sets.
    pub(crate) fn keep(&self, url: &HubUrl, headers: &HeaderMap) {
        if !headers.contains_key(header::SET_COOKIE) {
            return;
        }
        let Ok(url) = url::Url::parse(&url.to_string()) else {
            return;
        };
        let mut store = self.store();
        for value in headers.get_all(header::SET_COOKIE) {
            if let Ok(text) = value.to_str() {
                // A cookie the store refuses (a wrong domain, say) is ignored, as browsers do.
                let _ = store.parse(text, &url);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_set_on_negotiate_goes_with_later_requests_to_the_same_server_only() {
        let jar = Jar::default();
        let negotiate = HubUrl::parse("http://127.0.0.1:5000/hub/negotiate").unwrap();
        let mut headers = HeaderMap::new();
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static("affinity=a; Path=/"),
        );
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static("gone=1; Max-Age=0"),
        );
        jar.keep(&negotiate, &headers);
        let poll = HubUrl::parse("http://127.0.0.1:5000/hub?id=x").unwrap();
        assert_eq!(
            jar.header_for(&poll),
            Some(HeaderValue::from_static("affinity=a"))
        );
        let elsewhere = HubUrl::parse("http://example.com/hub").unwrap();
        assert_eq!(jar.header_for(&elsewhere), None);
    }
}
