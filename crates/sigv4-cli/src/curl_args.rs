//! curl's body and header flags, shared by `sign` and `request` so that the same flags
//! build the same request (method, query, body, Content-Type, Accept, headers) in both.
//!
//! What curl 7.88 does, checked against what it sends:
//! * `-d/--data`, `--data-raw`, `--data-binary`, `--data-urlencode` and `--json` pieces
//!   are joined in command-line order with `&`, except that a `--json` piece is appended
//!   with no separator;
//! * `-d @FILE` drops CR and LF; `--data-binary @FILE` and `--data-urlencode [name]@FILE`
//!   keep every byte; `@-` is standard input; `--data-raw` never reads a file;
//! * `--data-urlencode`: `content`, `=content`, `name=content` (the first `=` splits),
//!   `@file`, `name@file` (when there is no `=`); the content is encoded as curl does
//!   (unreserved `A-Z a-z 0-9 - . _ ~` kept, space as `+` (`%20` in a `-G` query),
//!   everything else `%XX`);
//! * a form `Content-Type` for `-d`, `--data-raw` and `--data-urlencode` unless `-H`
//!   gives one; `--json` sets `Content-Type` and `Accept` to `application/json`;
//! * `-G/--get` moves the joined data to the query (after `&`, or after `?` when the URL
//!   has none) and makes the request a GET.
//!
//! One deliberate difference, from the `sign` contract: `--data-binary` alone adds no
//! `Content-Type` (curl adds the form type); give one with `-H` when the service needs it.
//!
//! `-H 'Name: value'` replaces a default header of that name and may repeat;
//! `-H 'Name:'` removes the header; `-H 'Name;'` sends it with an empty value.

use std::io::Read;
use std::path::PathBuf;

use clap::{ArgMatches, Args};

use crate::CliError;

/// The body flags, as curl spells them.
#[derive(Debug, Args, Default, Clone)]
pub struct BodyArgs {
    /// Body data as curl: a string, @FILE (line breaks removed) or @- (standard input).
    /// Pieces of every data flag are joined with '&' in command-line order. Sets a form
    /// Content-Type unless -H gives one; makes the request a POST.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Vec<String>,
    /// Body data sent as is: a string, @FILE or @- (every byte kept). Adds no Content-Type.
    #[arg(long = "data-binary", value_name = "DATA")]
    pub data_binary: Vec<String>,
    /// Like -d, but a leading @ is just a character.
    #[arg(long = "data-raw", value_name = "DATA")]
    pub data_raw: Vec<String>,
    /// URL-encoded data as curl: 'content', '=content', 'name=content', '@FILE',
    /// 'name@FILE' (the content part is encoded). For query-protocol forms (SQS, STS, IAM).
    #[arg(long = "data-urlencode", value_name = "DATA")]
    pub data_urlencode: Vec<String>,
    /// JSON body (a string, @FILE or @-): sets Content-Type and Accept to application/json,
    /// makes the request a POST.
    #[arg(long = "json", value_name = "JSON")]
    pub json: Vec<String>,
    /// Send the data in the URL's query string with a GET instead of as a body.
    #[arg(short = 'G', long = "get")]
    pub get: bool,
    /// Command-line positions of the pieces (filled from the parsed matches).
    #[arg(skip)]
    order: Vec<(usize, Kind, usize)>,
}

/// Which flag a piece of data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Data,
    Binary,
    Raw,
    UrlEncode,
    Json,
}

const KINDS: [(&str, Kind); 5] = [
    ("data", Kind::Data),
    ("data_binary", Kind::Binary),
    ("data_raw", Kind::Raw),
    ("data_urlencode", Kind::UrlEncode),
    ("json", Kind::Json),
];

impl BodyArgs {
    /// Records where each piece was on the command line, so pieces of different flags are
    /// joined in that order (as curl does).
    pub fn set_order(&mut self, matches: &ArgMatches) {
        self.order.clear();
        for (id, kind) in KINDS {
            if let Some(idx) = matches.indices_of(id) {
                for (n, i) in idx.enumerate() {
                    self.order.push((i, kind, n));
                }
            }
        }
        self.order.sort_by_key(|(i, _, _)| *i);
    }

    fn values(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::Data => &self.data,
            Kind::Binary => &self.data_binary,
            Kind::Raw => &self.data_raw,
            Kind::UrlEncode => &self.data_urlencode,
            Kind::Json => &self.json,
        }
    }

    /// The pieces in command-line order (flag by flag when the order was not recorded).
    fn pieces(&self) -> Vec<(Kind, &str)> {
        let total: usize = KINDS.iter().map(|(_, k)| self.values(*k).len()).sum();
        if self.order.len() == total {
            self.order
                .iter()
                .map(|(_, k, n)| (*k, self.values(*k)[*n].as_str()))
                .collect()
        } else {
            KINDS
                .iter()
                .flat_map(|(_, k)| self.values(*k).iter().map(move |v| (*k, v.as_str())))
                .collect()
        }
    }

    /// The single `--data-binary @FILE` (`-` for `@-`) when it is the whole body (so it
    /// can be streamed, or named in a curl command, instead of read into memory).
    pub fn single_binary_file(&self) -> Option<PathBuf> {
        match self.pieces().as_slice() {
            [(Kind::Binary, v)] if v.starts_with('@') && !self.get => Some(PathBuf::from(&v[1..])),
            _ => None,
        }
    }
}

/// A header from `-H` after curl's rules: a value, or removal (`Name:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLine {
    /// The name as typed.
    pub name: String,
    /// The value as typed after the colon (`Some("")` for `Name;`), `None` to remove.
    pub value: Option<String>,
}

/// Parses one `-H` argument.
pub fn parse_header_line(h: &str) -> Result<HeaderLine, CliError> {
    let colon = h.find(':');
    let semi = h.find(';');
    let (name, value) = match (colon, semi) {
        (Some(c), s) if s.is_none_or(|s| c < s) => {
            let value = &h[c + 1..];
            let value = (!value.trim().is_empty()).then(|| value.to_owned());
            (&h[..c], value)
        }
        (_, Some(s)) if h[s + 1..].trim().is_empty() => (&h[..s], Some(String::new())),
        _ => {
            return Err(CliError::usage(format!(
                "header {h:?} must look like 'Name: value' ('Name:' removes it, 'Name;' sends it empty)"
            )))
        }
    };
    let name = name.trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
    {
        return Err(CliError::usage(format!(
            "header name {name:?} is not a valid HTTP header name"
        )));
    }
    Ok(HeaderLine {
        name: name.to_owned(),
        value,
    })
}

/// `-H @FILE` (or `@-`) as curl reads it: one header per line (CR/LF stripped); lines
/// with neither `:` nor `;` (blank ones included) are skipped, as curl skips them.
fn expand_header_files(header_args: &[String]) -> Result<Vec<String>, CliError> {
    let mut out = Vec::with_capacity(header_args.len());
    for h in header_args {
        let Some(file) = h.strip_prefix('@') else {
            out.push(h.clone());
            continue;
        };
        let bytes = read_source(file, "-H file")?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::usage(format!("-H @{file}: the headers are not UTF-8")))?;
        out.extend(
            text.lines()
                .map(|l| l.trim_end_matches('\r'))
                .filter(|l| l.contains([':', ';']))
                .map(str::to_owned),
        );
    }
    Ok(out)
}

/// What the flags build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// GET, or POST when there is a body (before `-X`, `-I`, `-T` are applied).
    pub default_method: &'static str,
    /// The URL's query after `-G` moved the data into it (`None`: unchanged).
    pub query: Option<String>,
    /// Headers to send and sign, in order: the defaults the body flags add, then `-H`'s.
    pub headers: Vec<(String, String)>,
    /// Names removed with `-H 'Name:'` (lowercase), for defaults added later.
    pub removed: Vec<String>,
    /// The body.
    pub body: BuiltBody,
}

/// The request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuiltBody {
    /// No body flag.
    None,
    /// The joined pieces.
    Bytes(Vec<u8>),
    /// The single `--data-binary @FILE`, not read yet.
    File(PathBuf),
    /// The single `--data-binary @-`: standard input, not read yet.
    Stdin,
}

/// The bytes of `@spec` (`-`: standard input, read whole).
pub fn read_source(spec: &str, what: &str) -> Result<Vec<u8>, CliError> {
    if spec == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::failure(format!("cannot read standard input: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(spec).map_err(|e| CliError::usage(format!("cannot read {what} {spec:?}: {e}")))
}

/// curl's encoding for `--data-urlencode`: space as `+` in a body; in a query (`-G`) as
/// `%20`, which means the same to a form decoder but cannot be mistaken for a literal `+`
/// (SigV4 signs a raw `+` in a query as a plus sign).
pub fn curl_urlencode(bytes: &[u8], in_query: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' if !in_query => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn urlencode_piece(v: &str, in_query: bool) -> Result<Vec<u8>, CliError> {
    // curl: the first '=' splits name and content; with none, the first '@' names a file.
    if let Some((name, content)) = v.split_once('=') {
        let enc = curl_urlencode(content.as_bytes(), in_query);
        return Ok(if name.is_empty() {
            enc.into_bytes()
        } else {
            format!("{name}={enc}").into_bytes()
        });
    }
    if let Some((name, file)) = v.split_once('@') {
        let enc = curl_urlencode(&read_source(file, "--data-urlencode file")?, in_query);
        return Ok(if name.is_empty() {
            enc.into_bytes()
        } else {
            format!("{name}={enc}").into_bytes()
        });
    }
    Ok(curl_urlencode(v.as_bytes(), in_query).into_bytes())
}

/// Builds the request parts from the body flags, `-H` lines and the URL's query.
pub fn build(
    body: &BodyArgs,
    header_args: &[String],
    query: Option<&str>,
) -> Result<Built, CliError> {
    let mut defaults: Vec<(&str, &str)> = Vec::new();
    let pieces = body.pieces();
    let json = pieces.iter().any(|(k, _)| *k == Kind::Json);
    let form = pieces
        .iter()
        .any(|(k, _)| matches!(k, Kind::Data | Kind::Raw | Kind::UrlEncode));
    if json {
        defaults.push(("Content-Type", "application/json"));
        defaults.push(("Accept", "application/json"));
    } else if form && !body.get {
        defaults.push(("Content-Type", "application/x-www-form-urlencoded"));
    }

    let built_body = if let Some(path) = body.single_binary_file() {
        if path.as_os_str() == "-" {
            BuiltBody::Stdin
        } else {
            BuiltBody::File(path)
        }
    } else if pieces.is_empty() {
        BuiltBody::None
    } else {
        let mut joined: Vec<u8> = Vec::new();
        for (i, (kind, v)) in pieces.iter().enumerate() {
            let bytes = match kind {
                Kind::Data => match v.strip_prefix('@') {
                    Some(f) => read_source(f, "-d file")?
                        .into_iter()
                        .filter(|b| *b != b'\r' && *b != b'\n')
                        .collect(),
                    None => v.as_bytes().to_vec(),
                },
                Kind::Binary | Kind::Json => match v.strip_prefix('@') {
                    Some(f) => read_source(f, "body file")?,
                    None => v.as_bytes().to_vec(),
                },
                Kind::Raw => v.as_bytes().to_vec(),
                Kind::UrlEncode => urlencode_piece(v, body.get)?,
            };
            if i > 0 && *kind != Kind::Json {
                joined.push(b'&');
            }
            joined.extend_from_slice(&bytes);
        }
        BuiltBody::Bytes(joined)
    };

    let (query, built_body) = match (body.get, built_body) {
        (true, BuiltBody::Bytes(data)) => {
            let data = String::from_utf8(data).map_err(|_| {
                CliError::usage("-G/--get puts the data in the URL, so it must be text (UTF-8)")
            })?;
            let q = match query {
                Some(q) if !q.is_empty() => format!("{q}&{data}"),
                _ => data,
            };
            (Some(q), BuiltBody::None)
        }
        (_, b) => (None, b),
    };

    let mut headers: Vec<(String, String)> = defaults
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    let mut removed = Vec::new();
    let mut user_set: Vec<String> = Vec::new();
    for h in &expand_header_files(header_args)? {
        let line = parse_header_line(h)?;
        let lower = line.name.to_ascii_lowercase();
        if !user_set.contains(&lower) {
            // The first -H of a name replaces the default of that name.
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&lower));
            user_set.push(lower.clone());
        }
        match line.value {
            Some(v) => headers.push((line.name, v)),
            None => {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&lower));
                removed.push(lower);
            }
        }
    }
    let default_method = if matches!(built_body, BuiltBody::None) {
        "GET"
    } else {
        "POST"
    };
    Ok(Built {
        default_method,
        query,
        headers,
        removed,
        body: built_body,
    })
}

/// Parses curl's `--aws-sigv4 "aws:amz[:REGION[:SERVICE]]"` into region and service.
pub fn parse_aws_sigv4(spec: &str) -> Result<(Option<String>, Option<String>), CliError> {
    let parts: Vec<&str> = spec.split(':').collect();
    let bad = || {
        CliError::usage(format!(
            "--aws-sigv4 {spec:?}: use \"aws:amz[:REGION[:SERVICE]]\" (curl's form; only the AWS provider is supported)"
        ))
    };
    if parts.len() > 4 || !parts[0].eq_ignore_ascii_case("aws") {
        return Err(bad());
    }
    if parts.get(1).is_some_and(|p| !p.eq_ignore_ascii_case("amz")) {
        return Err(bad());
    }
    let some = |i: usize| {
        parts
            .get(i)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok((some(2), some(3)))
}

/// A flag also given through `--aws-sigv4`: the two must agree.
pub fn merge_flag(
    what: &str,
    flag: Option<String>,
    from_sigv4: Option<String>,
) -> Result<Option<String>, CliError> {
    match (flag, from_sigv4) {
        (Some(a), Some(b)) if a != b => Err(CliError::usage(format!(
            "--{what} {a} and --aws-sigv4's {what} {b} disagree: give one"
        ))),
        (a, b) => Ok(a.or(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(f: impl FnOnce(&mut BodyArgs)) -> BodyArgs {
        let mut a = BodyArgs::default();
        f(&mut a);
        a
    }

    #[test]
    fn urlencode_forms_as_curl() {
        assert_eq!(
            curl_urlencode("a b&ü~*".as_bytes(), false),
            "a+b%26%C3%BC~%2A"
        );
        assert_eq!(curl_urlencode(b"a b", true), "a%20b");
        assert_eq!(urlencode_piece("a b", false).unwrap(), b"a+b");
        assert_eq!(urlencode_piece("=c&d", false).unwrap(), b"c%26d");
        assert_eq!(urlencode_piece("n=v w@x", false).unwrap(), b"n=v+w%40x");
        assert_eq!(urlencode_piece("a@b=c", false).unwrap(), b"a@b=c");
    }

    #[test]
    fn json_joins_without_separator_and_sets_headers() {
        let a = args(|a| {
            a.json = vec!["{\"a\":1}".into(), "{\"b\":2}".into()];
            a.data = vec!["x=1".into()];
        });
        let b = build(&a, &[], None).unwrap();
        // Without a recorded order: flag by flag.
        assert_eq!(b.body, BuiltBody::Bytes(b"x=1{\"a\":1}{\"b\":2}".to_vec()));
        assert_eq!(b.default_method, "POST");
        assert_eq!(
            b.headers,
            vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Accept".to_owned(), "application/json".to_owned())
            ]
        );
    }

    #[test]
    fn get_moves_data_to_the_query() {
        let a = args(|a| {
            a.data = vec!["x=1".into()];
            a.data_urlencode = vec!["y=a b".into()];
            a.get = true;
        });
        let b = build(&a, &[], Some("q=1")).unwrap();
        assert_eq!(b.query.as_deref(), Some("q=1&x=1&y=a%20b"));
        assert_eq!(b.body, BuiltBody::None);
        assert!(b.headers.is_empty());
        assert_eq!(b.default_method, "GET");
        assert_eq!(
            build(&a, &[], Some("")).unwrap().query.as_deref(),
            Some("x=1&y=a%20b")
        );
    }

    #[test]
    fn header_lines_follow_curl() {
        let a = args(|a| a.data = vec!["x".into()]);
        let b = build(
            &a,
            &[
                "content-type: text/plain".into(),
                "X-A: 1".into(),
                "x-a: 2".into(),
                "X-E;".into(),
                "Accept:".into(),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            b.headers,
            vec![
                ("content-type".to_owned(), " text/plain".to_owned()),
                ("X-A".to_owned(), " 1".to_owned()),
                ("x-a".to_owned(), " 2".to_owned()),
                ("X-E".to_owned(), String::new()),
            ]
        );
        assert_eq!(b.removed, vec!["accept".to_owned()]);
        for bad in ["NoColon", ": v", "Bad Name: v"] {
            assert_eq!(parse_header_line(bad).unwrap_err().code, 2, "{bad}");
        }
    }
}
