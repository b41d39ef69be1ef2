//! Envelope encryption and secret tokens.
//!
//! Each tenant has a 256-bit data key. It is stored only wrapped (AES-256-GCM,
//! with the tenant id as associated data so a wrapped key cannot be moved to
//! another tenant) under the key-encryption key (KEK), a 32-byte file created
//! with mode 0600 when missing. Features encrypt with [`Keyring::encrypt`];
//! deleting a tenant deletes its wrapped key, after which its ciphertexts can
//! never be read again (crypto-shredding). Rotating the KEK re-wraps every data
//! key and touches no data.

use crate::error::Error;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use stackpro_core::ids::TenantId;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
/// The first byte of every ciphertext, so the format can change later.
const FORMAT_V1: u8 = 1;

/// One key-encryption key and its id (the first 16 hex digits of its SHA-256).
#[derive(Clone)]
pub struct Kek {
    id: String,
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kek({})", self.id)
    }
}

impl Kek {
    /// A KEK from raw bytes.
    pub fn from_bytes(key: [u8; KEY_LEN]) -> Kek {
        let id = hex::encode(&Sha256::digest(key)[..8]);
        Kek { id, key }
    }
    /// A fresh random KEK.
    pub fn generate() -> Kek {
        let mut key = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Kek::from_bytes(key)
    }
    /// The key id stored beside each wrapped key.
    pub fn id(&self) -> &str {
        &self.id
    }
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key))
    }
    /// Wraps a tenant's data key.
    ///
    /// # Errors
    /// Only if AES-GCM fails, which it does not for valid lengths.
    pub fn wrap(&self, tenant: TenantId, data_key: &[u8; KEY_LEN]) -> Result<Vec<u8>, Error> {
        seal(&self.cipher(), data_key, tenant.0.as_bytes())
    }
    /// Unwraps a tenant's data key.
    ///
    /// # Errors
    /// When the wrapped key was made by another KEK, for another tenant, or altered.
    pub fn unwrap_key(&self, tenant: TenantId, wrapped: &[u8]) -> Result<[u8; KEY_LEN], Error> {
        let plain = open(&self.cipher(), wrapped, tenant.0.as_bytes())?;
        plain.try_into().map_err(|_| Error::Crypto("wrapped key has the wrong length".into()))
    }
    /// Seals a server secret under this KEK, bound to its name.
    ///
    /// # Errors
    /// Only if AES-GCM fails.
    pub fn wrap_secret(&self, name: &str, secret: &[u8; KEY_LEN]) -> Result<Vec<u8>, Error> {
        seal(&self.cipher(), secret, name.as_bytes())
    }
    /// Opens a server secret sealed by [`Kek::wrap_secret`].
    ///
    /// # Errors
    /// When it was sealed by another KEK, under another name, or altered.
    pub fn unwrap_secret(&self, name: &str, wrapped: &[u8]) -> Result<[u8; KEY_LEN], Error> {
        let plain = open(&self.cipher(), wrapped, name.as_bytes())?;
        plain.try_into().map_err(|_| Error::Crypto("wrapped secret has the wrong length".into()))
    }
}

fn seal(cipher: &Aes256Gcm, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, Error> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        .map_err(|_| Error::Crypto("encryption failed".into()))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open(cipher: &Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, Error> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != FORMAT_V1 {
        return Err(Error::Crypto("ciphertext is truncated or of an unknown format".into()));
    }
    let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| Error::Crypto("ciphertext does not authenticate".into()))
}

/// The KEK file and the keys read from it: the current one, and the previous
/// one while a rotation is being rolled out to every replica.
#[derive(Clone, Debug)]
pub struct Keyring {
    path: PathBuf,
    keys: Arc<RwLock<Vec<Kek>>>,
    /// The key file's modification time when last read.
    seen: Arc<RwLock<Option<std::time::SystemTime>>>,
}

impl Keyring {
    /// Reads the KEK file, creating it (mode 0600) when missing. Returns the
    /// keyring and whether a key was generated.
    ///
    /// # Errors
    /// When the file cannot be read or written, or is not 32 bytes.
    pub fn load_or_create(path: &Path) -> Result<(Keyring, bool), Error> {
        let created = if path.exists() {
            false
        } else {
            write_key_file(path, &Kek::generate())?;
            true
        };
        let ring = Keyring {
            path: path.to_owned(),
            keys: Arc::new(RwLock::new(Vec::new())),
            seen: Arc::new(RwLock::new(None)),
        };
        ring.reload()?;
        Ok((ring, created))
    }

    /// Reads the current and previous key files again (after a rotation by
    /// another process). Keys this process knew are kept in memory: a key
    /// it may have wrapped with must stay usable until the rotation re-wraps.
    ///
    /// # Errors
    /// When the current file cannot be read.
    pub fn reload(&self) -> Result<(), Error> {
        let mtime = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        let mut keys = vec![read_key_file(&self.path)?];
        let prev = previous_path(&self.path);
        if prev.exists() {
            keys.push(read_key_file(&prev)?);
        }
        let mut held = self.keys.write().unwrap_or_else(|p| p.into_inner());
        for old in held.iter() {
            if !keys.iter().any(|k| k.id == old.id) {
                keys.push(old.clone());
            }
        }
        *held = keys;
        *self.seen.write().unwrap_or_else(|p| p.into_inner()) = mtime;
        Ok(())
    }

    /// The current KEK, re-reading the key file first if another process
    /// rotated it (one `stat` per call: this is not on a hot path).
    pub fn current(&self) -> Kek {
        let mtime = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        if mtime != *self.seen.read().unwrap_or_else(|p| p.into_inner()) {
            if let Err(e) = self.reload() {
                tracing::error!(error = %e, "the master key file changed but cannot be read");
            }
        }
        self.keys.read().unwrap_or_else(|p| p.into_inner())[0].clone()
    }

    /// Every KEK this keyring knows, current first.
    pub fn all(&self) -> Vec<Kek> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The KEK with this id, reloading the files once if it is unknown.
    ///
    /// # Errors
    /// `KeyUnavailable` when no file holds it.
    pub fn by_id(&self, id: &str) -> Result<Kek, Error> {
        let find = |ring: &Keyring| ring.all().into_iter().find(|k| k.id == id);
        if let Some(k) = find(self) {
            return Ok(k);
        }
        self.reload()?;
        find(self).ok_or_else(|| Error::KeyUnavailable(format!("no key-encryption key with id {id}")))
    }

    /// A fresh random 256-bit secret.
    pub fn random_key() -> [u8; KEY_LEN] {
        let mut k = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut k);
        k
    }

    /// A fresh data key, wrapped by the current KEK: (wrapped, kek id).
    ///
    /// # Errors
    /// Only if AES-GCM fails.
    pub fn new_data_key(&self, tenant: TenantId) -> Result<(Vec<u8>, String), Error> {
        let mut dk = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut dk);
        let kek = self.current();
        Ok((kek.wrap(tenant, &dk)?, kek.id.clone()))
    }

    /// Encrypts `plain` with a tenant's (unwrapped) data key; `aad` binds the
    /// ciphertext to its place (e.g. `"message:<id>"`).
    ///
    /// # Errors
    /// Only if AES-GCM fails.
    pub fn encrypt(&self, data_key: &DataKey, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, Error> {
        seal(&data_key.cipher(), plain, aad)
    }

    /// Decrypts what [`Keyring::encrypt`] produced.
    ///
    /// # Errors
    /// When the ciphertext was altered or belongs elsewhere.
    pub fn decrypt(&self, data_key: &DataKey, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, Error> {
        open(&data_key.cipher(), sealed, aad)
    }

    /// Writes a new current key, keeping the old one as the previous key, and
    /// returns both. The caller re-wraps the data keys before calling
    /// [`Keyring::retire_previous`].
    ///
    /// # Errors
    /// When the files cannot be written.
    ///
    /// When `<file>.previous` already exists, an earlier rotation did not
    /// finish: no new key is made (that would overwrite the only copy of the
    /// key the database may still be wrapped with) and the pair on disk is
    /// returned so the caller can finish the re-wrap.
    pub fn rotate_files(&self) -> Result<(Kek, Kek), Error> {
        let prev = previous_path(&self.path);
        if prev.exists() {
            let (old, new) = (read_key_file(&prev)?, read_key_file(&self.path)?);
            self.reload()?;
            return Ok((old, new));
        }
        let old = read_key_file(&self.path)?;
        let new = Kek::generate();
        write_key_file(&prev, &old)?;
        write_key_file(&self.path, &new)?;
        self.reload()?;
        Ok((old, new))
    }

    /// Whether an earlier rotation left its previous key behind.
    pub fn rotation_pending(&self) -> bool {
        previous_path(&self.path).exists()
    }

    /// Removes the previous key file once no data key is wrapped by it.
    ///
    /// # Errors
    /// When the file cannot be removed.
    pub fn retire_previous(&self) -> Result<(), Error> {
        let prev = previous_path(&self.path);
        if prev.exists() {
            std::fs::remove_file(&prev).map_err(|e| Error::KeyUnavailable(format!("{}: {e}", prev.display())))?;
        }
        self.reload()
    }
}

/// An unwrapped tenant data key. Never logged, never stored unwrapped.
pub struct DataKey([u8; KEY_LEN]);

impl DataKey {
    pub(crate) fn new(k: [u8; KEY_LEN]) -> DataKey {
        DataKey(k)
    }
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0))
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

fn previous_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".previous");
    PathBuf::from(p)
}

fn read_key_file(path: &Path) -> Result<Kek, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::KeyUnavailable(format!("{}: {e}", path.display())))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| Error::KeyUnavailable(format!("{}: not base64url", path.display())))?;
    let key: [u8; KEY_LEN] =
        bytes.try_into().map_err(|_| Error::KeyUnavailable(format!("{}: expected 32 bytes", path.display())))?;
    Ok(Kek::from_bytes(key))
}

fn write_key_file(path: &Path, kek: &Kek) -> Result<(), Error> {
    use std::io::Write;
    let fail = |e: std::io::Error| Error::KeyUnavailable(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    // Write beside, then rename: a crash never leaves a half-written key.
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(fail)?;
    f.write_all(URL_SAFE_NO_PAD.encode(kek.key).as_bytes()).map_err(fail)?;
    f.sync_all().map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)?;
    // The rename is durable only once the directory entry is on disk.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(fail)?;
    }
    Ok(())
}

/// Loads a server-wide secret by name, creating it on first start. Replicas
/// starting at once agree: the first insert wins and everyone reads it back.
///
/// # Errors
/// When the secret cannot be unwrapped or the database fails.
pub async fn server_secret(
    db: &stackpro_store::Db,
    keys: &Keyring,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<[u8; KEY_LEN], Error> {
    let kek = keys.current();
    let fresh = kek.wrap_secret(name, &Keyring::random_key())?;
    let mut tx = db.system_tx().await?;
    crate::store::insert_server_secret(&mut tx, name, &fresh, kek.id(), now).await?;
    let secrets = crate::store::server_secrets(&mut tx).await?;
    tx.commit().await?;
    let (_, wrapped, kek_id) = secrets
        .into_iter()
        .find(|(n, _, _)| n == name)
        .ok_or_else(|| Error::KeyUnavailable(format!("the server secret {name} was not stored")))?;
    keys.by_id(&kek_id)?.unwrap_secret(name, &wrapped)
}

/// A random secret of 32 bytes, base64url, with a readable prefix.
pub fn random_token(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b))
}

/// The SHA-256 of a high-entropy token, as stored. (Passwords use argon2id;
/// 256-bit random tokens need no slow hash.)
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_opens_only_for_its_tenant_and_kek() {
        let kek = Kek::generate();
        let (a, b) = (TenantId::new(), TenantId::new());
        let dk = [7u8; 32];
        let wrapped = kek.wrap(a, &dk).unwrap();
        assert_eq!(kek.unwrap_key(a, &wrapped).unwrap(), dk);
        assert!(kek.unwrap_key(b, &wrapped).is_err());
        assert!(Kek::generate().unwrap_key(a, &wrapped).is_err());
    }

    #[test]
    fn the_key_file_is_created_with_mode_0600_and_a_retired_key_is_gone_after_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let (ring, created) = Keyring::load_or_create(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (old, new) = ring.rotate_files().unwrap();
        assert_ne!(old.id(), new.id());
        assert_eq!(ring.current().id(), new.id());
        assert!(ring.by_id(old.id()).is_ok());
        ring.retire_previous().unwrap();
        // This process keeps what it held; a fresh start knows only the new key.
        assert!(ring.by_id(old.id()).is_ok());
        let (again, created) = Keyring::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again.current().id(), new.id());
        assert!(again.by_id(old.id()).is_err());
    }
}
