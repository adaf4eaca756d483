//! `protocol: https`: the certificate, its chain and its key, read once at start-up with an
//! error that names the file that is missing or wrong.

use axum_server::tls_rustls::RustlsConfig;

use crate::server::TlsFiles;

pub async fn load(files: &TlsFiles) -> Result<RustlsConfig, String> {
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
    };
    let mut certificates = read(&files.cert, "certificate (sslCertPath)")?;
    if let Some(chain) = &files.chain {
        certificates.push(b'\n');
        certificates.extend(read(chain, "certificate chain (sslCertChainPath)")?);
    }
    let key = read(&files.key, "key (sslKeyPath)")?;
    let text = String::from_utf8_lossy(&key);
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "{0} is encrypted in the old OpenSSL format; convert it with `openssl pkcs8 -topk8 -in {0} -out key-pkcs8.pem` (keeping a passphrase) or `openssl pkey -in {0} -out key-plain.pem`",
            files.key.display()
        ));
    }
    // The passphrase applies to an encrypted PKCS#8 key only; laravel-echo-server (Node)
    // ignored it for a key that is not encrypted, and so does sidecast.
    let encrypted = text.contains("ENCRYPTED PRIVATE KEY");
    let loaded = match &files.passphrase {
        Some(passphrase) if encrypted => {
            RustlsConfig::from_pem_with_password(certificates, key, passphrase).await
        }
        _ => RustlsConfig::from_pem(certificates, key).await,
    };
    loaded.map_err(|e| {
        format!(
            "{} and {} do not make a usable certificate and key: {e}",
            files.cert.display(),
            files.key.display()
        )
    })
}
