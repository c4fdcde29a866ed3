//! Access tokens: real RS256 JWTs with the claims Entra ID puts in managed identity tokens, signed
//! by a key made at start, and their verification for the emulated ARM.

use std::io;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::config::IdentitySpec;

/// Audiences ARM accepts: the current and the classic (msrestazure's default) resource, each with
/// and without the trailing slash.
pub(crate) const ARM_AUDIENCES: [&str; 4] = [
    "https://management.azure.com/",
    "https://management.azure.com",
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
];

/// Claims of an issued token (an Entra ID v1 app-only token).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub appid: String,
    pub appidacr: String,
    pub idp: String,
    pub idtyp: String,
    pub oid: String,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: String,
    pub xms_mirid: String,
}

/// Why ARM refuses a request's credentials; each maps to the code real ARM uses.
#[derive(Debug)]
pub(crate) enum AuthError {
    Missing,
    BadScheme,
    Invalid,
    Expired { exp: u64, now: u64 },
    WrongAudience(String),
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing | AuthError::BadScheme => "AuthenticationFailed",
            AuthError::Invalid => "InvalidAuthenticationToken",
            AuthError::Expired { .. } => "ExpiredAuthenticationToken",
            AuthError::WrongAudience(_) => "InvalidAuthenticationTokenAudience",
        }
    }

    pub fn message(&self) -> String {
        match self {
            AuthError::Missing => "Authentication failed. The 'Authorization' header is missing.".into(),
            AuthError::BadScheme => {
                "Authentication failed. The 'Authorization' header is provided in an invalid format."
                    .into()
            }
            AuthError::Invalid => "The access token is invalid.".into(),
            AuthError::Expired { exp, now } => format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                utc(*exp),
                utc(*now)
            ),
            AuthError::WrongAudience(aud) => format!(
                "The access token has been obtained for wrong audience or resource '{aud}'. It should \
                 exactly match with one of the allowed audiences '{}'.",
                ARM_AUDIENCES.join("','")
            ),
        }
    }
}

fn utc(secs: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX), 0)
        .map(|t| t.format("%-m/%-d/%Y %-I:%M:%S %p").to_string())
        .unwrap_or_default()
}

/// The signing key and what clients may learn about it.
pub(crate) struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_pem: String,
    kid: String,
    tenant_id: String,
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("signing key: {e}"))
}

impl Signer {
    /// A fresh RSA-2048 key. Generated per emulator so no key material ships in the crate.
    pub fn generate(tenant_id: &str) -> io::Result<Signer> {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(io_err)?;
        let der = key.to_pkcs1_der().map_err(io_err)?;
        let public = key.to_public_key();
        let public_pem = public.to_public_key_pem(LineEnding::LF).map_err(io_err)?;
        let spki = public.to_public_key_der().map_err(io_err)?;
        Ok(Signer {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding: DecodingKey::from_rsa_raw_components(
                &public.n().to_bytes_be(),
                &public.e().to_bytes_be(),
            ),
            public_pem,
            // Entra ID's `kid`/`x5t` is the base64url SHA-1 of the signing certificate; the
            // public key's DER stands in for the certificate here.
            kid: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha1::digest(spki.as_bytes())),
            tenant_id: tenant_id.to_owned(),
        })
    }

    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    pub fn issuer(&self) -> String {
        format!("https://sts.windows.net/{}/", self.tenant_id)
    }

    /// A token for `identity` and audience `resource`, valid from `now` for `lifetime` seconds.
    pub fn mint(&self, identity: &IdentitySpec, resource: &str, now: u64, lifetime: u64) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.x5t = Some(self.kid.clone());
        let claims = Claims {
            aud: resource.to_owned(),
            iss: self.issuer(),
            iat: now,
            nbf: now,
            exp: now + lifetime,
            appid: identity.client_id.clone(),
            appidacr: "2".into(),
            idp: self.issuer(),
            idtyp: "app".into(),
            oid: identity.object_id.clone(),
            sub: identity.object_id.clone(),
            tid: self.tenant_id.clone(),
            uti: crate::random::hex(16),
            ver: "1.0".into(),
            xms_mirid: identity.resource_id.clone(),
        };
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .expect("RS256 signing with a valid key")
    }

    /// Checks an `Authorization` header as ARM does: `Bearer`, our signature and issuer, `nbf` and
    /// `exp` without leeway (so short-lived tokens expire when the test expects), an ARM audience.
    pub fn verify_arm(&self, authorization: Option<&str>, now: u64) -> Result<Claims, AuthError> {
        let value = authorization.ok_or(AuthError::Missing)?;
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::BadScheme)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::BadScheme);
        }
        let token = token.trim();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_issuer(&[self.issuer()]);
        validation.set_audience(&ARM_AUDIENCES);
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => Err(match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    let exp = self.claims_unchecked(token).map(|c| c.exp).unwrap_or(0);
                    AuthError::Expired { exp, now }
                }
                jsonwebtoken::errors::ErrorKind::InvalidAudience => AuthError::WrongAudience(
                    self.claims_unchecked(token).map(|c| c.aud).unwrap_or_default(),
                ),
                _ => AuthError::Invalid,
            }),
        }
    }

    /// Claims of a token whose signature is ours, without judging times or audience (for messages).
    fn claims_unchecked(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().map(|d| d.claims)
    }
}
