//! Credentials from the shared profile files: static keys, `role_arn` chains
//! (`source_profile` / `credential_source`), `credential_process`, SSO and
//! web identity.
//!
//! Resolution is two steps: [`resolve_chain`] turns the profiles into a
//! [`ProfileChain`] (pure data: a base source, then the roles to assume in
//! order), then [`ProfileProvider`] executes it.

use std::fmt;
use std::sync::Arc;

use sigv4::Credentials;
use zeroize::Zeroizing;

use crate::endpoint::{resolve_endpoint, resolve_region, Service};
use crate::environment::EnvironmentProvider;
use crate::login::LoginProvider;
use crate::process::CredentialProcessProvider;
use crate::profile_file::{FileLocations, Platform, ProfileSet, Section};
use crate::sso::{SsoConfig, SsoProvider};
use crate::sts::{assume_role, AssumeRoleParams};
use crate::util::BoxFuture;
use crate::web_identity::{WebIdentityConfig, WebIdentityProvider};
use crate::{
    CredentialsError, CredentialsResult, ProvideCredentials, ProvidedCredentials, ProviderContext,
};

const NAME: &str = "Profile";

/// A `credential_source` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialSource {
    /// `Environment`: the environment variables.
    Environment,
    /// `Ec2InstanceMetadata`: the EC2 instance metadata service.
    Ec2InstanceMetadata,
    /// `EcsContainer`: the ECS/EKS container credentials endpoint.
    EcsContainer,
}

impl CredentialSource {
    /// The name as written in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::Environment => "Environment",
            CredentialSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            CredentialSource::EcsContainer => "EcsContainer",
        }
    }
}

/// Where the first credentials of a profile chain come from. AWS adds sources (`login_session`
/// came in 2025), so new variants may come in a minor release (`#[non_exhaustive]`): a
/// `match` needs a `_` arm.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseSource {
    /// Static keys from a profile. `Debug` redacts the secret.
    AccessKey {
        /// `aws_access_key_id`.
        access_key_id: String,
        /// `aws_secret_access_key`.
        secret_access_key: Zeroizing<String>,
        /// `aws_session_token`.
        session_token: Option<Zeroizing<String>>,
        /// `aws_account_id`.
        account_id: Option<String>,
    },
    /// A `credential_source`.
    NamedSource(CredentialSource),
    /// `web_identity_token_file` + `role_arn`.
    WebIdentityToken(WebIdentityConfig),
    /// SSO settings. `account_id`/`role_name` are `None` for a token-only
    /// (`sso_session` without a role) profile, which cannot give credentials.
    Sso {
        /// `sso_session`.
        sso_session: Option<String>,
        /// `sso_region` (from the profile or the session).
        sso_region: Option<String>,
        /// `sso_start_url` (from the profile or the session).
        sso_start_url: Option<String>,
        /// `sso_account_id`.
        sso_account_id: Option<String>,
        /// `sso_role_name`.
        sso_role_name: Option<String>,
    },
    /// `login_session`: console login credentials (`aws login`).
    Login {
        /// The session ARN.
        session: String,
    },
    /// `credential_process`. `Debug` redacts the command.
    CredentialProcess {
        /// The command line.
        command: Zeroizing<String>,
        /// The profile's `aws_account_id`, used when the output has none.
        account_id: Option<String>,
    },
}

impl fmt::Debug for BaseSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaseSource::AccessKey {
                access_key_id,
                account_id,
                ..
            } => f
                .debug_struct("AccessKey")
                .field("access_key_id", access_key_id)
                .field("account_id", account_id)
                .finish_non_exhaustive(),
            BaseSource::NamedSource(s) => f.debug_tuple("NamedSource").field(s).finish(),
            BaseSource::WebIdentityToken(c) => f.debug_tuple("WebIdentityToken").field(c).finish(),
            BaseSource::Sso {
                sso_session,
                sso_region,
                sso_start_url,
                sso_account_id,
                sso_role_name,
            } => f
                .debug_struct("Sso")
                .field("sso_session", sso_session)
                .field("sso_region", sso_region)
                .field("sso_start_url", sso_start_url)
                .field("sso_account_id", sso_account_id)
                .field("sso_role_name", sso_role_name)
                .finish(),
            BaseSource::Login { session } => {
                f.debug_struct("Login").field("session", session).finish()
            }
            BaseSource::CredentialProcess { account_id, .. } => f
                .debug_struct("CredentialProcess")
                .field("account_id", account_id)
                .finish_non_exhaustive(),
        }
    }
}

/// One role to assume, from a profile with `role_arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The profile this role comes from.
    pub profile: String,
    /// `role_arn`, `role_session_name`, `external_id`, `duration_seconds`, `mfa_serial`.
    pub params: AssumeRoleParams,
}

/// A resolved profile chain: where the first credentials come from, then the
/// roles to assume, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChain {
    /// The first credentials.
    pub base: BaseSource,
    /// Roles to assume with them, first to last.
    pub roles: Vec<RoleStep>,
}

/// Why a profile chain could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// Nothing to use: no profiles, or the selected profile has no
    /// credential settings. A chain skips the profile provider.
    NotConfigured(String),
    /// The profiles are set up wrongly.
    Invalid(String),
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::NotConfigured(m) | ResolveError::Invalid(m) => f.write_str(m),
        }
    }
}

fn non_blank(p: &Section, key: &str) -> Option<String> {
    p.get_non_blank(key).map(str::to_string)
}

fn static_keys(p: &Section) -> Option<Result<BaseSource, ResolveError>> {
    let akid = non_blank(p, "aws_access_key_id");
    let secret = non_blank(p, "aws_secret_access_key");
    let name = p.name();
    match (akid, secret) {
        (None, None) => None,
        (Some(_), None) => Some(Err(ResolveError::Invalid(format!(
            "profile missing aws_secret_access_key (profile `{name}` has aws_access_key_id but no aws_secret_access_key)"
        )))),
        (None, Some(_)) => Some(Err(ResolveError::Invalid(format!(
            "profile missing aws_access_key_id (profile `{name}` has aws_secret_access_key but no aws_access_key_id)"
        )))),
        (Some(access_key_id), Some(secret)) => Some(Ok(BaseSource::AccessKey {
            access_key_id,
            secret_access_key: Zeroizing::new(secret),
            session_token: non_blank(p, "aws_session_token").map(Zeroizing::new),
            account_id: non_blank(p, "aws_account_id"),
        })),
    }
}

fn web_identity(p: &Section) -> Option<Result<BaseSource, ResolveError>> {
    let file = non_blank(p, "web_identity_token_file")?;
    Some(match non_blank(p, "role_arn") {
        None => Err(ResolveError::Invalid(format!(
            "`web_identity_token_file` was specified but `role_arn` was missing (profile `{}`)",
            p.name()
        ))),
        Some(role_arn) => Ok(BaseSource::WebIdentityToken(WebIdentityConfig {
            web_identity_token_file: file,
            role_arn,
            role_session_name: non_blank(p, "role_session_name"),
        })),
    })
}

fn sso(set: &ProfileSet, p: &Section) -> Option<Result<BaseSource, ResolveError>> {
    const KEYS: [&str; 5] = [
        "sso_session",
        "sso_account_id",
        "sso_region",
        "sso_role_name",
        "sso_start_url",
    ];
    if !KEYS.iter().any(|k| p.get_non_blank(k).is_some()) {
        return None;
    }
    Some((|| {
        let name = p.name();
        let session_name = non_blank(p, "sso_session");
        let mut region = non_blank(p, "sso_region");
        let mut start_url = non_blank(p, "sso_start_url");
        if let Some(s) = &session_name {
            let session = set.sso_session(s).ok_or_else(|| {
                ResolveError::Invalid(format!(
                    "sso-session named `{s}` (referenced by profile `{name}`) was not found"
                ))
            })?;
            let s_region = non_blank(session, "sso_region");
            let s_url = non_blank(session, "sso_start_url");
            if region.is_some() && region != s_region {
                return Err(ResolveError::Invalid(format!(
                    "`sso_region` can only be specified in the [sso-session] config when a session name is given (profile `{name}`)"
                )));
            }
            if start_url.is_some() && start_url != s_url {
                return Err(ResolveError::Invalid(format!(
                    "`sso_start_url` can only be specified in the [sso-session] config when a session name is given (profile `{name}`)"
                )));
            }
            region = s_region;
            start_url = s_url;
        }
        let account = non_blank(p, "sso_account_id");
        let role = non_blank(p, "sso_role_name");
        match (&account, &role) {
            (None, Some(_)) => {
                return Err(ResolveError::Invalid(format!(
                    "if `sso_role_name` is set, then `sso_account_id` must also be set (profile `{name}`)"
                )))
            }
            (Some(_), None) => {
                return Err(ResolveError::Invalid(format!(
                    "if `sso_account_id` is set, then `sso_role_name` must also be set (profile `{name}`)"
                )))
            }
            _ => {}
        }
        if session_name.is_none() && (region.is_none() || start_url.is_none()) {
            return Err(ResolveError::Invalid(format!(
                "profile `{name}` has SSO settings but lacks `sso_region` or `sso_start_url` (or an `sso_session`)"
            )));
        }
        Ok(BaseSource::Sso {
            sso_session: session_name,
            sso_region: region,
            sso_start_url: start_url,
            sso_account_id: account,
            sso_role_name: role,
        })
    })())
}

fn credential_process(p: &Section) -> Option<BaseSource> {
    Some(BaseSource::CredentialProcess {
        command: Zeroizing::new(non_blank(p, "credential_process")?),
        account_id: non_blank(p, "aws_account_id"),
    })
}

fn base_source(set: &ProfileSet, p: &Section) -> Result<BaseSource, ResolveError> {
    if let Some(r) = web_identity(p) {
        return r;
    }
    if let Some(r) = sso(set, p) {
        return r;
    }
    if let Some(session) = non_blank(p, "login_session") {
        return Ok(BaseSource::Login { session });
    }
    if let Some(r) = credential_process(p) {
        return Ok(r);
    }
    match static_keys(p) {
        Some(r) => r,
        None => Err(ResolveError::NotConfigured(format!(
            "profile `{}` did not contain credential information",
            p.name()
        ))),
    }
}

fn role_step(p: &Section, role_arn: String) -> Result<RoleStep, ResolveError> {
    let duration_seconds = match non_blank(p, "duration_seconds") {
        None => None,
        Some(d) => Some(d.parse::<u32>().map_err(|_| {
            ResolveError::Invalid(format!(
                "profile `{}`: duration_seconds {d:?} is not a whole number of seconds",
                p.name()
            ))
        })?),
    };
    Ok(RoleStep {
        profile: p.name().to_string(),
        params: AssumeRoleParams {
            role_arn,
            role_session_name: non_blank(p, "role_session_name"),
            external_id: non_blank(p, "external_id"),
            duration_seconds,
            mfa_serial: non_blank(p, "mfa_serial"),
        },
    })
}

/// Resolves the selected profile of `set` into a [`ProfileChain`].
///
/// ```
/// use sigv4_credentials::profile::{resolve_chain, BaseSource};
/// use sigv4_credentials::profile_file::ProfileSet;
/// let set = ProfileSet::parse(
///     Some("[profile A]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = B\n"),
///     Some("[B]\naws_access_key_id = AK\naws_secret_access_key = SK\n"),
/// ).unwrap().with_selected("A");
/// let chain = resolve_chain(&set).unwrap();
/// assert!(matches!(chain.base, BaseSource::AccessKey { .. }));
/// assert_eq!(chain.roles[0].params.role_arn, "arn:aws:iam::1:role/A");
/// ```
pub fn resolve_chain(set: &ProfileSet) -> Result<ProfileChain, ResolveError> {
    if set.is_empty() {
        return Err(ResolveError::NotConfigured(
            "No profiles were defined".into(),
        ));
    }
    let selected = set.selected_name();
    let mut visited: Vec<String> = Vec::new();
    let mut roles: Vec<RoleStep> = Vec::new();
    let mut name = selected.to_string();
    let base = loop {
        let Some(profile) = set.profile(&name) else {
            return Err(match visited.last() {
                None => ResolveError::NotConfigured(format!("profile `{name}` was not defined")),
                Some(from) => ResolveError::Invalid(format!(
                    "could not find source profile {name} referenced from {from}"
                )),
            });
        };
        if visited.contains(&name) {
            // A profile may name itself as source_profile to use its own keys.
            if visited.last() == Some(&name) {
                if let Some(keys) = static_keys(profile) {
                    break keys?;
                }
            }
            visited.push(name);
            return Err(ResolveError::Invalid(format!(
                "profile formed an infinite loop: {}",
                visited.join(" -> ")
            )));
        }
        visited.push(name.clone());
        if visited.len() > 1 {
            // A source profile with static keys ends the chain, even if it also has a role.
            if let Some(keys) = static_keys(profile) {
                break keys?;
            }
        }
        let Some(role_arn) = non_blank(profile, "role_arn") else {
            break base_source(set, profile)?;
        };
        if let Some(r) = web_identity(profile) {
            break r?;
        }
        let source_profile = non_blank(profile, "source_profile");
        let credential_source = non_blank(profile, "credential_source");
        match (source_profile, credential_source) {
            (Some(_), Some(_)) => {
                return Err(ResolveError::Invalid(format!(
                    "profile contained both source_profile and credential_source (profile `{name}`): keep one"
                )))
            }
            (None, None) => {
                return Err(ResolveError::Invalid(format!(
                    "profile must contain `source_profile` or `credential_source` with `role_arn` (profile `{name}`)"
                )))
            }
            (None, Some(source)) => {
                roles.push(role_step(profile, role_arn)?);
                let named = match source.as_str() {
                    "Environment" => CredentialSource::Environment,
                    "Ec2InstanceMetadata" => CredentialSource::Ec2InstanceMetadata,
                    "EcsContainer" => CredentialSource::EcsContainer,
                    other => {
                        return Err(ResolveError::Invalid(format!(
                            "profile `{name}`: unknown credential_source {other:?} (use Environment, Ec2InstanceMetadata or EcsContainer)"
                        )))
                    }
                };
                break BaseSource::NamedSource(named);
            }
            (Some(source), None) => {
                roles.push(role_step(profile, role_arn)?);
                name = source;
            }
        }
    };
    roles.reverse();
    Ok(ProfileChain { base, roles })
}

/// Supplies MFA token codes for roles with `mfa_serial`.
pub type MfaTokenCallback = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync + 'static>;

/// Providers used for `credential_source = Ec2InstanceMetadata` / `EcsContainer`.
#[derive(Clone, Debug, Default)]
pub struct NamedSources {
    /// For `Ec2InstanceMetadata`.
    pub ec2_instance_metadata: Option<Arc<dyn ProvideCredentials>>,
    /// For `EcsContainer`.
    pub ecs_container: Option<Arc<dyn ProvideCredentials>>,
}

/// Loads credentials from the selected profile of the shared files.
///
/// Not configured when there are no profile files, the implicitly selected
/// `default` profile does not exist, or the selected profile has no
/// credential settings (only a region, say). Any other problem (a file that
/// does not parse, a broken role chain, a failing STS call) is an error.
#[derive(Clone)]
pub struct ProfileProvider {
    ctx: ProviderContext,
    named: NamedSources,
    mfa: Option<MfaTokenCallback>,
    process_timeout: Option<std::time::Duration>,
}

impl fmt::Debug for ProfileProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileProvider")
            .field("ctx", &self.ctx)
            .field("named", &self.named)
            .field("mfa", &self.mfa.is_some())
            .finish()
    }
}

impl ProfileProvider {
    /// A provider for `ctx` (its environment selects the files and profile).
    pub fn new(ctx: ProviderContext) -> Self {
        ProfileProvider {
            ctx,
            named: NamedSources::default(),
            mfa: None,
            process_timeout: None,
        }
    }

    /// Sets the providers behind `credential_source`.
    pub fn with_named_sources(mut self, named: NamedSources) -> Self {
        self.named = named;
        self
    }

    /// Supplies MFA codes for roles with `mfa_serial` (called with the serial).
    pub fn with_mfa_token_callback(mut self, callback: MfaTokenCallback) -> Self {
        self.mfa = Some(callback);
        self
    }

    /// Bounds how long a `credential_process` command may run (default 60 s).
    pub fn with_credential_process_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.process_timeout = Some(timeout);
        self
    }

    /// Loads the profile files and resolves the chain.
    pub fn plan(&self) -> Result<(ProfileSet, ProfileChain), CredentialsError> {
        let set = ProfileSet::load(&self.ctx)?;
        let explicit = self.ctx.profile_name_override().is_some()
            || self.ctx.env().get_non_blank("AWS_PROFILE").is_some();
        if explicit && !set.is_empty() && set.selected().is_none() {
            return Err(CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "the selected profile `{}` is not defined in the config or credentials file",
                    set.selected_name()
                ),
            ));
        }
        match resolve_chain(&set) {
            Ok(chain) => Ok((set, chain)),
            Err(ResolveError::NotConfigured(m)) => {
                // Say which profile and which files, so "nothing found" is actionable.
                let files = FileLocations::resolve(self.ctx.env(), Platform::current());
                Err(CredentialsError::not_configured(
                    NAME,
                    format!(
                        "profile `{}`: {m} (looked in {} and {})",
                        set.selected_name(),
                        files.credentials,
                        files.config
                    ),
                ))
            }
            Err(ResolveError::Invalid(m)) => Err(CredentialsError::invalid_configuration(NAME, m)),
        }
    }

    async fn base(&self, set: &ProfileSet, base: &BaseSource) -> CredentialsResult {
        match base {
            BaseSource::AccessKey {
                access_key_id,
                secret_access_key,
                session_token,
                account_id,
            } => Ok(ProvidedCredentials::new(
                Credentials::new(
                    access_key_id.clone(),
                    secret_access_key.as_str(),
                    session_token.as_ref().map(|t| t.as_str().to_string()),
                    None,
                ),
                NAME,
            )
            .with_account_id(account_id.clone())),
            BaseSource::NamedSource(source) => {
                let context = format!("credential_source {}", source.as_str());
                let provider: Arc<dyn ProvideCredentials> = match source {
                    CredentialSource::Environment => {
                        Arc::new(EnvironmentProvider::new(self.ctx.clone()))
                    }
                    CredentialSource::Ec2InstanceMetadata => {
                        self.named.ec2_instance_metadata.clone().ok_or_else(|| {
                            CredentialsError::invalid_configuration(
                                NAME,
                                format!("{context}: no instance metadata provider is available"),
                            )
                        })?
                    }
                    CredentialSource::EcsContainer => {
                        self.named.ecs_container.clone().ok_or_else(|| {
                            CredentialsError::invalid_configuration(
                                NAME,
                                format!(
                                    "{context}: no container credentials provider is available"
                                ),
                            )
                        })?
                    }
                };
                provider
                    .provide_credentials()
                    .await
                    .map_err(|e| e.context(NAME, &context))
            }
            BaseSource::WebIdentityToken(config) => {
                WebIdentityProvider::from_config(self.ctx.clone(), config.clone())
                    .with_profiles(set.clone())
                    .provide_credentials()
                    .await
            }
            BaseSource::Sso {
                sso_session,
                sso_region,
                sso_start_url,
                sso_account_id,
                sso_role_name,
            } => {
                let (Some(account_id), Some(role_name)) = (sso_account_id, sso_role_name) else {
                    return Err(CredentialsError::invalid_configuration(
                        NAME,
                        format!(
                            "profile `{}`: selected profile will resolve an access token instead of credentials since it doesn't have `sso_account_id` and `sso_role_name` set",
                            set.selected_name()
                        ),
                    ));
                };
                let (Some(region), Some(start_url)) = (sso_region, sso_start_url) else {
                    return Err(CredentialsError::invalid_configuration(
                        NAME,
                        "the SSO configuration needs `sso_region` and `sso_start_url`",
                    ));
                };
                SsoProvider::new(
                    self.ctx.clone(),
                    SsoConfig {
                        session_name: sso_session.clone(),
                        start_url: start_url.clone(),
                        region: region.clone(),
                        account_id: account_id.clone(),
                        role_name: role_name.clone(),
                    },
                )
                .with_profiles(set.clone())
                .provide_credentials()
                .await
            }
            BaseSource::Login { session } => {
                LoginProvider::new(self.ctx.clone(), session.clone())
                    .with_profiles(set.clone())
                    .provide_credentials()
                    .await
            }
            BaseSource::CredentialProcess {
                command,
                account_id,
            } => {
                let mut p = CredentialProcessProvider::new(command.as_str())
                    .with_fallback_account_id(account_id.clone());
                if let Some(t) = self.process_timeout {
                    p = p.with_timeout(t);
                }
                p.provide_credentials().await
            }
        }
    }

    async fn load(&self) -> CredentialsResult {
        let (set, chain) = self.plan()?;
        tracing::debug!(profile = set.selected_name(), base = ?chain.base, roles = chain.roles.len(), "resolved profile chain");
        let mut creds = self.base(&set, &chain.base).await?;
        if chain.roles.is_empty() {
            return Ok(creds.with_provider(NAME));
        }
        let region = resolve_region(&self.ctx, Some(&set)).unwrap_or_else(|| "us-east-1".into());
        let endpoint = resolve_endpoint(&self.ctx, Some(&set), Service::Sts, &region);
        for step in &chain.roles {
            let mfa = match &step.params.mfa_serial {
                None => None,
                Some(serial) => {
                    let Some(cb) = &self.mfa else {
                        return Err(CredentialsError::invalid_configuration(
                            NAME,
                            format!(
                                "profile `{}` sets mfa_serial, so assuming {} needs an MFA code: supply one with ProfileProvider::with_mfa_token_callback",
                                step.profile, step.params.role_arn
                            ),
                        ));
                    };
                    Some(Zeroizing::new(cb(serial).map_err(|m| {
                        CredentialsError::provider_error(
                            NAME,
                            format!("the MFA token callback failed: {m}"),
                        )
                    })?))
                }
            };
            tracing::debug!(role_arn = %step.params.role_arn, %endpoint, "assuming role");
            creds = assume_role(
                &self.ctx,
                &endpoint,
                &region,
                creds.credentials(),
                &step.params,
                mfa.as_ref().map(|m| m.as_str()),
            )
            .await?;
        }
        Ok(creds.with_provider(NAME))
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.load())
    }
    fn name(&self) -> &'static str {
        NAME
    }
}
