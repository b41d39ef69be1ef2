//! Password hashing with argon2id at OWASP's recommended parameters
//! (19 MiB of memory, 2 passes, 1 lane), off the async threads.

use crate::error::Error;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// At most two hashes per core at once: each takes 19 MiB, and a burst of
/// sign-ins must queue rather than exhaust memory and blocking threads.
fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4)))
}

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1.
    #[allow(clippy::expect_used)]
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string.
///
/// # Errors
/// Only if the blocking pool is gone.
pub async fn hash(password: &str) -> Result<String, Error> {
    let _permit = permits().acquire().await.map_err(|e| Error::Crypto(format!("hashing queue: {e}")))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Crypto(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| Error::Crypto(format!("hashing task: {e}")))?
}

/// Checks a password against a stored PHC string (constant-time inside
/// argon2). `None` hashes against a dummy so an unknown account costs as much
/// time as a known one.
///
/// # Errors
/// Only if the blocking pool is gone.
pub async fn verify(password: &str, phc: Option<&str>) -> Result<bool, Error> {
    let _permit = permits().acquire().await.map_err(|e| Error::Crypto(format!("hashing queue: {e}")))?;
    let password = password.to_owned();
    let phc = phc.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let target = phc.as_deref().unwrap_or_else(|| dummy_hash());
        let Ok(parsed) = PasswordHash::new(target) else {
            return false;
        };
        let ok = argon2().verify_password(password.as_bytes(), &parsed).is_ok();
        ok && phc.is_some()
    })
    .await
    .map_err(|e| Error::Crypto(format!("hashing task: {e}")))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2().hash_password(b"not a real password", &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", Some(&h)).await.unwrap());
        assert!(!verify("wrong horse battery", Some(&h)).await.unwrap());
        assert!(!verify("not a real password", None).await.unwrap());
    }
}
