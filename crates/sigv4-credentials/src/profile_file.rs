//! The shared config and credentials files (`~/.aws/config`,
//! `~/.aws/credentials`): where they are, and how they parse and merge.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::Path;

use thiserror::Error;

use crate::{CredentialsError, Env, ProviderContext};

/// Which of the two shared files a text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: sections are `[default]`, `[profile NAME]`,
    /// `[sso-session NAME]` and `[services NAME]`.
    Config,
    /// `~/.aws/credentials`: sections are `[NAME]`.
    Credentials,
}

/// A profile file that does not parse.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("could not parse profile file: {message} ({location}, line {line})")]
pub struct ProfileParseError {
    /// What is wrong.
    pub message: String,
    /// The file (its path, or "config file" / "credentials file").
    pub location: String,
    /// 1-based line number.
    pub line: usize,
}

/// One section's properties. Keys are lower-cased; `Debug` shows keys only
/// (values may be secrets).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Section {
    name: String,
    properties: BTreeMap<String, String>,
}

impl Section {
    /// A section with no properties.
    pub fn new(name: impl Into<String>) -> Self {
        Section {
            name: name.into(),
            properties: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) a property.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.properties
            .insert(key.to_ascii_lowercase(), value.into());
        self
    }

    /// The section's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A property's value (keys are case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.properties
                .get(&key.to_ascii_lowercase())
                .map(String::as_str)
        } else {
            self.properties.get(key).map(String::as_str)
        }
    }

    /// A property's value, `None` if absent or blank.
    pub fn get_non_blank(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty())
    }

    /// All properties, keys lower-cased.
    pub fn properties(&self) -> &BTreeMap<String, String> {
        &self.properties
    }

    /// Whether the section has no properties.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }
}

impl fmt::Debug for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("keys", &self.properties.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Parsed and merged profile files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Section>,
    sso_sessions: BTreeMap<String, Section>,
    services: BTreeMap<String, Section>,
    selected: String,
}

impl ProfileSet {
    /// Parses and merges a config file and a credentials file (either may be
    /// absent). Credentials-file properties win over config-file ones.
    ///
    /// ```
    /// use sigv4_credentials::profile_file::ProfileSet;
    /// let set = ProfileSet::parse(
    ///     Some("[profile dev]\nregion = eu-west-1\n"),
    ///     Some("[dev]\naws_access_key_id = AKID\n"),
    /// ).unwrap();
    /// let dev = set.profile("dev").unwrap();
    /// assert_eq!(dev.get("region"), Some("eu-west-1"));
    /// assert_eq!(dev.get("AWS_ACCESS_KEY_ID"), Some("AKID"));
    /// ```
    pub fn parse(
        config: Option<&str>,
        credentials: Option<&str>,
    ) -> Result<ProfileSet, ProfileParseError> {
        Self::parse_named(
            config.map(|c| ("config file", c)),
            credentials.map(|c| ("credentials file", c)),
        )
    }

    fn parse_named(
        config: Option<(&str, &str)>,
        credentials: Option<(&str, &str)>,
    ) -> Result<ProfileSet, ProfileParseError> {
        let mut set = ProfileSet {
            selected: "default".into(),
            ..Default::default()
        };
        if let Some((loc, text)) = config {
            let raw = parse_file(text, FileKind::Config, loc)?;
            let has_prefixed_default = raw
                .iter()
                .any(|s| matches!(&s.header, Header::Profile { name, prefixed: true } if name == "default"));
            for s in raw {
                let map = match &s.header {
                    Header::Profile { name, prefixed } => {
                        if name == "default" && !prefixed && has_prefixed_default {
                            continue;
                        }
                        set.profiles.entry(name.clone())
                    }
                    Header::SsoSession(name) => set.sso_sessions.entry(name.clone()),
                    Header::Services(name) => set.services.entry(name.clone()),
                    Header::Ignored => continue,
                };
                let name = map.key().clone();
                let section = map.or_insert_with(|| Section::new(name));
                section.properties.extend(s.properties);
            }
        }
        if let Some((loc, text)) = credentials {
            for s in parse_file(text, FileKind::Credentials, loc)? {
                if let Header::Profile { name, .. } = s.header {
                    let section = set
                        .profiles
                        .entry(name.clone())
                        .or_insert_with(|| Section::new(name));
                    section.properties.extend(s.properties);
                }
            }
        }
        Ok(set)
    }

    /// Finds and loads the files for `ctx` (see [`FileLocations`]). Missing
    /// files count as empty; unreadable or unparsable ones are errors.
    pub fn load(ctx: &ProviderContext) -> Result<ProfileSet, CredentialsError> {
        let locations = FileLocations::resolve(ctx.env(), Platform::current());
        let read = |path: &str| -> Result<Option<String>, CredentialsError> {
            match ctx.fs().read_to_string(Path::new(path)) {
                Ok(s) => Ok(Some(s)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    tracing::debug!(path, "profile file not found");
                    Ok(None)
                }
                Err(e) => Err(CredentialsError::invalid_configuration(
                    "Profile",
                    format!("could not read profile file `{path}`: {e}"),
                )),
            }
        };
        let config = read(&locations.config)?;
        let credentials = read(&locations.credentials)?;
        let mut set = Self::parse_named(
            config.as_deref().map(|c| (locations.config.as_str(), c)),
            credentials
                .as_deref()
                .map(|c| (locations.credentials.as_str(), c)),
        )
        .map_err(|e| CredentialsError::invalid_configuration("Profile", e.to_string()))?;
        set.selected = ctx
            .profile_name_override()
            .map(str::to_string)
            .unwrap_or(locations.profile);
        Ok(set)
    }

    /// Selects a profile by name.
    pub fn with_selected(mut self, name: impl Into<String>) -> Self {
        self.selected = name.into();
        self
    }

    /// The name of the selected profile (`AWS_PROFILE`, `--profile`, or `default`).
    pub fn selected_name(&self) -> &str {
        &self.selected
    }

    /// The selected profile, if it exists.
    pub fn selected(&self) -> Option<&Section> {
        self.profiles.get(&self.selected)
    }

    /// A profile by name.
    pub fn profile(&self, name: &str) -> Option<&Section> {
        self.profiles.get(name)
    }

    /// All profiles.
    pub fn profiles(&self) -> &BTreeMap<String, Section> {
        &self.profiles
    }

    /// An `[sso-session NAME]` section.
    pub fn sso_session(&self, name: &str) -> Option<&Section> {
        self.sso_sessions.get(name)
    }

    /// All `[sso-session]` sections.
    pub fn sso_sessions(&self) -> &BTreeMap<String, Section> {
        &self.sso_sessions
    }

    /// A `[services NAME]` section.
    pub fn services(&self, name: &str) -> Option<&Section> {
        self.services.get(name)
    }

    /// Adds a profile (tests and programmatic configuration).
    pub fn insert_profile(&mut self, section: Section) {
        self.profiles.insert(section.name.clone(), section);
    }

    /// Adds an sso-session section.
    pub fn insert_sso_session(&mut self, section: Section) {
        self.sso_sessions.insert(section.name.clone(), section);
    }

    /// Whether no profiles are defined.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}

/// The operating-system conventions used to find the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// `\` separators, home from HOME, USERPROFILE, then HOMEDRIVE+HOMEPATH.
    Windows,
    /// `/` separators, home from HOME.
    Unix,
}

impl Platform {
    /// The platform this program runs on.
    pub fn current() -> Self {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }
}

/// Where the shared files are and which profile is selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocations {
    /// The config file path (`AWS_CONFIG_FILE` or `~/.aws/config`).
    pub config: String,
    /// The credentials file path (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`).
    pub credentials: String,
    /// The selected profile (`AWS_PROFILE` or `default`).
    pub profile: String,
}

impl FileLocations {
    /// Resolves the locations from environment variables, expanding a
    /// leading `~`.
    ///
    /// ```
    /// use sigv4_credentials::{Env, profile_file::{FileLocations, Platform}};
    /// let env = Env::from_pairs([("HOME", "/home/me"), ("AWS_CONFIG_FILE", "~/cfg")]);
    /// let l = FileLocations::resolve(&env, Platform::Unix);
    /// assert_eq!(l.config, "/home/me/cfg");
    /// assert_eq!(l.credentials, "/home/me/.aws/credentials");
    /// assert_eq!(l.profile, "default");
    /// ```
    pub fn resolve(env: &Env, platform: Platform) -> Self {
        let home = home_dir(env, platform);
        let sep = match platform {
            Platform::Windows => '\\',
            Platform::Unix => '/',
        };
        let default_path = |file: &str| format!("~{sep}.aws{sep}{file}");
        let config = env
            .get_non_blank("AWS_CONFIG_FILE")
            .unwrap_or_else(|| default_path("config"));
        let credentials = env
            .get_non_blank("AWS_SHARED_CREDENTIALS_FILE")
            .unwrap_or_else(|| default_path("credentials"));
        FileLocations {
            config: expand_home(&config, home.as_deref(), platform),
            credentials: expand_home(&credentials, home.as_deref(), platform),
            profile: env
                .get_non_blank("AWS_PROFILE")
                .unwrap_or_else(|| "default".into()),
        }
    }
}

/// The user's home directory as the AWS SDKs find it.
pub fn home_dir(env: &Env, platform: Platform) -> Option<String> {
    if let Some(h) = env.get_non_blank("HOME") {
        return Some(h);
    }
    if platform == Platform::Windows {
        if let Some(h) = env.get_non_blank("USERPROFILE") {
            return Some(h);
        }
        if let (Some(d), Some(p)) = (
            env.get_non_blank("HOMEDRIVE"),
            env.get_non_blank("HOMEPATH"),
        ) {
            return Some(format!("{d}{p}"));
        }
    }
    None
}

fn expand_home(path: &str, home: Option<&str>, platform: Platform) -> String {
    let rest = match path.strip_prefix('~') {
        Some(r) => r,
        None => return path.to_string(),
    };
    let is_sep = |c: char| c == '/' || (platform == Platform::Windows && c == '\\');
    if !(rest.is_empty() || rest.starts_with(is_sep)) {
        // `~user/...` is not expanded.
        return path.to_string();
    }
    match home {
        Some(h) => {
            let h = h.trim_end_matches(is_sep);
            format!("{h}{rest}")
        }
        None => path.to_string(),
    }
}

// ---------------------------------------------------------------- parsing

#[derive(Debug)]
enum Header {
    Profile { name: String, prefixed: bool },
    SsoSession(String),
    Services(String),
    Ignored,
}

#[derive(Debug)]
struct RawSection {
    header: Header,
    properties: Vec<(String, String)>,
}

/// What the last property line set up, for continuation lines.
enum Current {
    /// No property yet in this section.
    None,
    /// A property whose value continues (index into properties; None when the
    /// property itself was ignored).
    Value(Option<usize>),
    /// A property with an empty value: continuation lines are sub-properties.
    SubProperties(Option<usize>),
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

fn strip_prefix_ws<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(prefix)?;
    if rest.starts_with([' ', '\t']) {
        Some(rest.trim())
    } else {
        None
    }
}

fn parse_header(inner: &str, kind: FileKind) -> Header {
    let inner = inner.trim();
    let named = |name: &str, f: fn(String) -> Header| {
        if is_identifier(name) {
            f(name.to_string())
        } else {
            Header::Ignored
        }
    };
    match kind {
        FileKind::Credentials => named(inner, |n| Header::Profile {
            name: n,
            prefixed: false,
        }),
        FileKind::Config => {
            if let Some(name) = strip_prefix_ws(inner, "profile") {
                named(name, |n| Header::Profile {
                    name: n,
                    prefixed: true,
                })
            } else if let Some(name) = strip_prefix_ws(inner, "sso-session") {
                named(name, Header::SsoSession)
            } else if let Some(name) = strip_prefix_ws(inner, "services") {
                named(name, Header::Services)
            } else if inner == "default" {
                Header::Profile {
                    name: "default".into(),
                    prefixed: false,
                }
            } else {
                Header::Ignored
            }
        }
    }
}

/// Removes a trailing comment: `#` or `;` preceded by whitespace.
fn strip_value_comment(v: &str) -> &str {
    let bytes = v.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if (b == b'#' || b == b';') && i > 0 && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
            return &v[..i];
        }
    }
    v
}

fn parse_file(
    text: &str,
    kind: FileKind,
    location: &str,
) -> Result<Vec<RawSection>, ProfileParseError> {
    let mut sections: Vec<RawSection> = Vec::new();
    let mut current = Current::None;
    // Editors on Windows may start the file with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (n, line) in text.split('\n').enumerate() {
        let err = |message: &str| ProfileParseError {
            message: message.to_string(),
            location: location.to_string(),
            line: n + 1,
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // Continuation of the previous property.
            let Some(section) = sections.last_mut() else {
                return Err(err("Expected a profile definition, found continuation"));
            };
            match current {
                Current::None => {
                    return Err(err("Expected a property definition, found continuation"))
                }
                Current::Value(idx) => {
                    if let Some(i) = idx {
                        let v = &mut section.properties[i].1;
                        v.push('\n');
                        v.push_str(trimmed);
                    }
                }
                Current::SubProperties(idx) => {
                    let Some((name, _)) = trimmed.split_once('=') else {
                        return Err(err("Expected an '=' sign defining a sub-property"));
                    };
                    if name.trim().is_empty() {
                        return Err(err("Sub-property did not have a name"));
                    }
                    if let Some(i) = idx {
                        let v = &mut section.properties[i].1;
                        v.push('\n');
                        v.push_str(trimmed);
                    }
                }
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(end) = rest.find(']') else {
                return Err(err("Profile definition must end with ']'"));
            };
            let after = rest[end + 1..].trim();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(err("Profile definition must end with ']'"));
            }
            sections.push(RawSection {
                header: parse_header(&rest[..end], kind),
                properties: Vec::new(),
            });
            current = Current::None;
            continue;
        }
        // A property definition.
        let Some(section) = sections.last_mut() else {
            return Err(err("Expected a profile definition"));
        };
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(err("Expected an '=' sign defining a property"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(err("Property did not have a name"));
        }
        let value = strip_value_comment(value).trim();
        let idx = if is_identifier(key) && !matches!(section.header, Header::Ignored) {
            section
                .properties
                .push((key.to_ascii_lowercase(), value.to_string()));
            Some(section.properties.len() - 1)
        } else {
            if !is_identifier(key) {
                tracing::debug!(line = n + 1, "ignoring property with an invalid name");
            }
            None
        };
        current = if value.is_empty() {
            Current::SubProperties(idx)
        } else {
            Current::Value(idx)
        };
    }
    Ok(sections)
}

/// Parses a property value made of sub-properties (`\nname = value` lines, as
/// in `s3 =\n  max_concurrent_requests = 10`) into pairs.
pub fn parse_sub_properties(value: &str) -> BTreeMap<String, String> {
    value
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_forms() {
        assert_eq!(expand_home("~", Some("/h"), Platform::Unix), "/h");
        assert_eq!(expand_home("~/x", Some("/h/"), Platform::Unix), "/h/x");
        assert_eq!(expand_home("~x/y", Some("/h"), Platform::Unix), "~x/y");
        assert_eq!(expand_home("~/x", None, Platform::Unix), "~/x");
        assert_eq!(
            expand_home("~\\x", Some("C:\\u"), Platform::Windows),
            "C:\\u\\x"
        );
    }

    #[test]
    fn services_and_sub_properties() {
        let set = ProfileSet::parse(
            Some("[profile a]\nservices = s\n[services s]\ns3 =\n  endpoint_url = http://x\n"),
            None,
        )
        .unwrap();
        let s = set.services("s").unwrap();
        let sub = parse_sub_properties(s.get("s3").unwrap());
        assert_eq!(
            sub.get("endpoint_url").map(String::as_str),
            Some("http://x")
        );
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let set = ProfileSet::parse(Some("\u{feff}[default]\nregion = x\n"), None).unwrap();
        assert_eq!(set.profile("default").unwrap().get("region"), Some("x"));
    }

    #[test]
    fn debug_hides_values() {
        let set =
            ProfileSet::parse(None, Some("[a]\naws_secret_access_key = SUPERSECRET\n")).unwrap();
        assert!(!format!("{set:?}").contains("SUPERSECRET"));
    }
}
