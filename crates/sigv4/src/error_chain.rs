//! Error chains that print each cause once.
//!
//! An error that wraps another either shows the cause's message in its own `Display` or
//! returns the cause from [`Error::source`], never both: a chain
//! printer (`anyhow`'s `{:#}`, a loop over `source()`) would print the cause twice
//! ("could not load AWS credentials: X: X"). The errors of this workspace show their
//! cause's message (so a plain `{}` tells the whole story) and report, as their source,
//! the first error down the cause's chain whose message they do not already show
//! ([`unshown_source`]).

use std::error::Error;

/// The source an error should report when its message, `shown`, already includes the text
/// of `cause`: the first error in `cause`'s chain (starting with `cause` itself) whose
/// message `shown` does not contain, or `None` when `shown` tells them all.
///
/// ```
/// use std::fmt;
/// use sigv4::error_chain::unshown_source;
///
/// #[derive(Debug)]
/// struct Wrapper(std::io::Error);
/// impl fmt::Display for Wrapper {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         write!(f, "could not read the file: {}", self.0)
///     }
/// }
/// impl std::error::Error for Wrapper {
///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
///         unshown_source(&self.to_string(), &self.0)
///     }
/// }
///
/// let e = Wrapper(std::io::Error::other("disk on fire"));
/// assert_eq!(e.to_string(), "could not read the file: disk on fire");
/// // The io::Error's message is already shown: it is not reported again.
/// assert!(std::error::Error::source(&e).is_none());
/// ```
pub fn unshown_source<'a>(
    shown: &str,
    cause: &'a (dyn Error + 'static),
) -> Option<&'a (dyn Error + 'static)> {
    let mut next = Some(cause);
    while let Some(e) = next {
        let text = e.to_string();
        if text.is_empty() || !shown.contains(&text) {
            return Some(e);
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl fmt::Display for E {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl Error for E {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn skips_exactly_the_causes_already_shown() {
        let chain = E("io: refused", Some(Box::new(E("refused", None))));
        assert!(unshown_source("load: io: refused", &chain).is_none());
        let deeper = E("error sending request", Some(Box::new(E("refused", None))));
        let next = unshown_source("load: error sending request", &deeper).unwrap();
        assert_eq!(next.to_string(), "refused");
        assert_eq!(
            unshown_source("something else", &deeper)
                .unwrap()
                .to_string(),
            "error sending request"
        );
    }
}
