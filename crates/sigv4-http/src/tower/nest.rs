//! [`VerifyLayer`](super::VerifyLayer) inside `Router::nest` / `Router::nest_service`:
//! axum strips the nest's prefix from the request URI before the nested router (and its
//! layers) run, but the client signed the URI it sent, which axum keeps in its `OriginalUri`
//! extension. The layer verifies that original URI and hands the inner service the
//! verified URI with the same prefix removed, so routing still happens on what was signed.

use http::request::Parts;
use http::Uri;

/// The prefix a nest removed, remembered between verification and the inner call.
#[derive(Debug)]
pub(crate) struct Nested {
    prefix: String,
}

/// Where the URI the client sent is kept when something before the layer rewrote it.
pub(crate) fn original_uri(parts: &Parts) -> Option<&Uri> {
    #[cfg(feature = "axum")]
    {
        parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map(|o| &o.0)
    }
    #[cfg(not(feature = "axum"))]
    {
        let _ = parts;
        None
    }
}

/// If the request runs inside a nest (its URI is the original one with a path prefix
/// removed), puts the original URI back in `parts` for verification and returns the
/// removed prefix. Any other rewrite of the URI before the layer is refused: the layer
/// cannot tell what the inner service would act on.
pub(crate) fn take_original(parts: &mut Parts) -> Result<Option<Nested>, String> {
    let Some(original) = original_uri(parts).filter(|o| **o != parts.uri).cloned() else {
        return Ok(None);
    };
    let (inner_path, orig_path) = (parts.uri.path(), original.path());
    let prefix = match orig_path.strip_suffix(inner_path) {
        Some(p) if !p.is_empty() => p,
        // axum hands the nest's own root (`/v1`) to the nested service as `/`.
        _ if inner_path == "/" => orig_path,
        _ => return Err(rewritten(&original, &parts.uri)),
    };
    if parts.uri.query() != original.query() {
        return Err(rewritten(&original, &parts.uri));
    }
    let nested = Nested {
        prefix: prefix.to_owned(),
    };
    parts.uri = original;
    Ok(Some(nested))
}

fn rewritten(original: &Uri, now: &Uri) -> String {
    format!(
        "the request URI was rewritten before the verifying layer ({original} became {now}), \
         not by removing a nest prefix; put the layer before the rewrite"
    )
}

impl Nested {
    /// Gives the inner service the verified URI (in `parts`) without the nest's prefix, and
    /// records the verified URI as the original one.
    pub(crate) fn restore(self, parts: &mut Parts) -> Result<(), String> {
        let verified = parts.uri.clone();
        let rest = verified
            .path()
            .strip_prefix(self.prefix.as_str())
            .filter(|r| r.is_empty() || r.starts_with('/'))
            .ok_or_else(|| {
                format!(
                    "the verified path {} is outside the nest {}",
                    verified.path(),
                    self.prefix
                )
            })?;
        let mut target = String::from(if rest.is_empty() { "/" } else { rest });
        if let Some(q) = verified.query() {
            target.push('?');
            target.push_str(q);
        }
        let mut uri = verified.clone().into_parts();
        uri.path_and_query = Some(target.parse().map_err(|e| format!("{e}"))?);
        parts.uri = Uri::from_parts(uri).map_err(|e| format!("{e}"))?;
        #[cfg(feature = "axum")]
        parts
            .extensions
            .insert(axum::extract::OriginalUri(verified));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> Parts {
        http::Request::get(uri).body(()).unwrap().into_parts().0
    }

    #[test]
    fn without_an_original_uri_nothing_changes() {
        let mut p = parts("/a?b=c");
        assert!(take_original(&mut p).unwrap().is_none());
        assert_eq!(p.uri, "/a?b=c");
    }

    #[cfg(feature = "axum")]
    #[test]
    fn prefixes_are_found_and_put_back() {
        for (orig, inner, prefix) in [
            ("/v1/items?x=1", "/items?x=1", "/v1"),
            ("/v1", "/", "/v1"),
            ("/v1/", "/", "/v1"),
            ("/api/v2/a/b", "/a/b", "/api/v2"),
        ] {
            let mut p = parts(inner);
            p.extensions
                .insert(axum::extract::OriginalUri(orig.parse().unwrap()));
            let nested = take_original(&mut p).unwrap().unwrap();
            assert_eq!(nested.prefix, prefix);
            assert_eq!(p.uri, orig);
            nested.restore(&mut p).unwrap();
            assert_eq!(p.uri, inner);
        }
    }

    #[cfg(feature = "axum")]
    #[test]
    fn other_rewrites_are_refused() {
        for (orig, inner) in [("/v1/items", "/other"), ("/v1/a?x=1", "/a?x=2")] {
            let mut p = parts(inner);
            p.extensions
                .insert(axum::extract::OriginalUri(orig.parse().unwrap()));
            assert!(take_original(&mut p).is_err(), "{orig} -> {inner}");
        }
    }

    #[cfg(feature = "axum")]
    #[test]
    fn a_verified_path_outside_the_nest_is_refused() {
        let mut p = parts("/x");
        p.extensions
            .insert(axum::extract::OriginalUri("/v1/x".parse().unwrap()));
        let nested = take_original(&mut p).unwrap().unwrap();
        p.uri = "/v10".parse().unwrap();
        assert!(nested.restore(&mut p).is_err());
    }
}
