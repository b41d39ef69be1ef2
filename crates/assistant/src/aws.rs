//! Requests to AWS (Bedrock), signed with Signature Version 4 by the AWS
//! SDK's own signing crate (`aws-sigv4`), sent with reqwest.

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use secrecy::{ExposeSecret, SecretString};
use std::time::SystemTime;

/// An access key, its secret, and a session token for temporary credentials.
#[derive(Clone)]
pub struct AwsCredentials {
    /// The access key id (`AKIA…`/`ASIA…`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token of temporary credentials.
    pub session_token: Option<SecretString>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// Signs requests for one region and service.
#[derive(Clone, Debug)]
pub struct SigV4 {
    region: String,
    service: String,
    credentials: AwsCredentials,
}

impl SigV4 {
    /// A signer for `service` (`bedrock`) in `region`.
    pub fn new(region: &str, service: &str, credentials: AwsCredentials) -> SigV4 {
        SigV4 { region: region.to_owned(), service: service.to_owned(), credentials }
    }

    /// A signed POST of `body` to `url`, ready for `client.execute`.
    ///
    /// # Errors
    /// When the URL or a header cannot be signed.
    pub fn request(
        &self,
        client: &reqwest::Client,
        url: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<reqwest::Request, String> {
        let mut req = http::Request::builder()
            .method("POST")
            .uri(url)
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(body)
            .map_err(|e| e.to_string())?;
        let creds = aws_credential_types::Credentials::new(
            &self.credentials.access_key_id,
            self.credentials.secret_access_key.expose_secret(),
            self.credentials.session_token.as_ref().map(|t| t.expose_secret().to_owned()),
            None,
            "stackpro",
        );
        let identity = creds.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let headers: Vec<(&str, &str)> =
            req.headers().iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))).collect();
        let signable = SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(req.body()))
            .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
        instructions.apply_to_request_http1x(&mut req);
        let (parts, body) = req.into_parts();
        let mut out = client.post(url).body(body);
        for (k, v) in parts.headers.iter() {
            out = out.header(k, v);
        }
        out.build().map_err(|e| e.to_string())
    }
}

/// A model id as one URL path segment (`:` and `/` escaped as AWS expects).
pub fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>().replace('+', "%20")
}
